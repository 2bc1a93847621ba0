/** Glob syntax shared by the CLI's arguments and the config's include/exclude/schema settings. */

/**
 * A glob as a RegExp over forward-slash relative paths: `**` spans folders (also none), `*` and `?`
 * stay within one name, `[abc]` and `{a,b}` as in shells. Names starting with a dot match too.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches zero or more folders; a trailing `**` matches everything below.
          if (i + 2 === glob.length) re += '.*';
          else re += '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        i++;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
      } else {
        let body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body[0] === '!') body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = close;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) {
      re += '|';
    } else if (c === '\\' && i + 1 < glob.length) {
      re += escapeRegExp(glob[++i]);
    } else {
      re += escapeRegExp(c);
    }
  }
  re += ')'.repeat(braces);
  return new RegExp(`^${re}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
