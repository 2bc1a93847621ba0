/**
 * Applying fixes without an editor (`dupguard lint --fix`): which fixes to take from a list of
 * findings, and the text after them. Pure: text in, text out.
 */
import type { Finding, Fix } from './types';

export interface ChooseOptions {
  /**
   * Take fixes whose text holds snippet placeholders (`${1:key_column}`: a name the user is meant to
   * type). Off for unattended fixing: writing the placeholder's default into a file is no fix.
   */
  snippets?: boolean;
}

/**
 * Each finding's preferred fix, in finding order, leaving out any that touches text an earlier one
 * already edits (an insertion at the same offset counts): those wait for the next pass, after which
 * they may no longer apply, or apply differently.
 */
export function preferredFixes(findings: readonly Finding[], opts: ChooseOptions = {}): Fix[] {
  const chosen: Fix[] = [];
  const taken: Array<[number, number]> = [];
  for (const f of findings) {
    const fix = f.fixes.find((x) => x.preferred);
    if (!fix || fix.edits.length === 0 || (fix.snippet && !opts.snippets)) continue;
    const overlaps = fix.edits.some((e) => taken.some(([s, t]) => (e.start < t && s < e.end) || (e.start === e.end && e.start === s) || (s === t && e.start === s)));
    if (overlaps) continue;
    chosen.push(fix);
    for (const e of fix.edits) taken.push([e.start, e.end]);
  }
  return chosen;
}

/** `text` with the edits of `fixes` applied (edits must not overlap; `preferredFixes` sees to it). */
export function applyFixes(text: string, fixes: readonly Fix[], lineBreak = '\n'): string {
  const edits = fixes.flatMap((f) => f.edits).sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of edits) {
    const newText = lineBreak === '\n' ? e.newText : e.newText.replace(/\r?\n/g, lineBreak);
    out = out.slice(0, e.start) + newText + out.slice(e.end);
  }
  return out;
}

/** The line break a text mostly uses ('\r\n' when most of its line breaks are). */
export function lineBreakOf(text: string): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i >= 0 && crlf + lf < 1000; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++; else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/**
 * VS Code snippet syntax to plain text for edges without snippets: `${1:key}` → `key`, `$1`/`${1}` → ``,
 * `\$` → `$`.
 */
export function stripSnippet(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '$' || text[i + 1] === '}' || text[i + 1] === '\\')) {
      out += text[++i];
    } else if (c === '$' && /\d/.test(text[i + 1] ?? '')) {
      while (/\d/.test(text[i + 1] ?? '')) i++;
    } else if (c === '$' && text[i + 1] === '{' && /\d/.test(text[i + 2] ?? '')) {
      let j = i + 2;
      while (/\d/.test(text[j] ?? '')) j++;
      if (text[j] === '}') {
        i = j;
      } else if (text[j] === ':') {
        // Keep the default text, which may itself hold nested placeholders: strip them recursively.
        let depth = 1;
        let k = j + 1;
        for (; k < text.length && depth > 0; k++) {
          if (text[k] === '\\') k++;
          else if (text[k] === '{' && text[k - 1] === '$') depth++;
          else if (text[k] === '}') depth--;
        }
        out += stripSnippet(text.slice(j + 1, k - 1));
        i = k - 1;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}
