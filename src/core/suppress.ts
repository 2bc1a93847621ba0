/**
 * Suppression comments:
 *   -- dupguard-ignore <rule>[, <rule>]: <reason>     silences the next statement
 *   -- dupguard-ignore-file <rule>[, <rule>]          silences the whole file
 * (no rule list = every rule). In TS/JS host code the same words in `//` or `/* *\/` comments silence
 * the next line, or the whole embedded SQL that starts on it. Unused ones are findings themselves
 * (src/rules/unused-suppression.ts).
 */
import type { Span, SqlDocument } from './facts';
import { T } from './lexer';

export interface Suppression {
  /** The comment (host offsets). */
  comment: Span;
  /** Rule ids it names; empty = all rules. */
  rules: string[];
  file: boolean;
  reason?: string;
  /** Host range whose findings it silences (the whole file for -file). */
  covers: Span;
  /** Rule ids (or '*') that it actually silenced. */
  used: Set<string>;
}

const DIRECTIVE = /dupguard-ignore(-file)?(?![\w-])([^\n]*)/;

/** Parses the directive inside a comment's text, or undefined when there is none. */
export function parseDirective(commentText: string): { file: boolean; rules: string[]; reason?: string } | undefined {
  const m = DIRECTIVE.exec(commentText);
  if (!m) return undefined;
  let rest = m[2].replace(/\*\/\s*$/, '');
  let reason: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) { reason = rest.slice(colon + 1).trim() || undefined; rest = rest.slice(0, colon); }
  const rules = rest.split(/[\s,]+/).map((r) => r.trim()).filter((r) => /^[a-z0-9][a-z0-9-]*$/.test(r));
  return { file: !!m[1], rules, reason };
}

/**
 * Suppressions in a SQL document. `toHost` maps document offsets to host offsets (identity for .sql).
 */
export function sqlSuppressions(doc: SqlDocument, toHost: (o: number) => number, hostLength: number): Suppression[] {
  const t = doc.tokens;
  const text = doc.text;
  // The lexer counted the comments that mention a directive: most documents have none.
  if (doc.directives === 0) return [];
  const out: Suppression[] = [];
  // Comments inside function bodies live in the body's own token stream.
  const comments: Span[] = [];
  const collect = (tk: typeof t) => {
    for (let i = 0; i < tk.count; i++) {
      const ty = tk.types[i];
      if (ty === T.LineComment || ty === T.BlockComment) comments.push({ start: tk.starts[i], end: tk.ends[i] });
    }
  };
  collect(t);
  for (const s of doc.all) if (s.body?.tokens) collect(s.body.tokens);
  for (const c of comments) {
    const d = parseDirective(text.slice(c.start, c.end));
    if (!d) continue;
    let covers: Span;
    if (d.file) covers = { start: 0, end: hostLength };
    else {
      // The first statement starting after the comment (outermost on a tie).
      let next: { start: number; end: number } | undefined;
      for (const s of doc.all) {
        if (s.start >= c.end && (!next || s.start < next.start)) next = s;
      }
      // Nothing after it: it silences nothing, and is reported as unused.
      covers = next ? { start: toHost(c.start), end: toHost(next.end) } : { start: toHost(c.start), end: toHost(c.start) };
    }
    out.push({ comment: { start: toHost(c.start), end: toHost(c.end) }, rules: d.rules, file: d.file, reason: d.reason, covers, used: new Set() });
  }
  return out;
}

/**
 * Suppressions in TS/JS host comments (`//` and block comments). `regions` are the host ranges of
 * embedded SQL: comments inside them are SQL comments and handled by `sqlSuppressions`. `calls` are
 * host ranges of ORM calls: a comment on the line before one (or inside it) silences the whole call,
 * as it does a query, whichever link of a chain split over lines the finding is on.
 */
export function hostSuppressions(host: string, regions: Span[], calls: readonly Span[] = []): Suppression[] {
  if (host.indexOf('dupguard-ignore') < 0) return [];
  const out: Suppression[] = [];
  const re = /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g;
  let k = host.indexOf('dupguard-ignore');
  while (k >= 0) {
    // Find the comment that contains position k: scan back to its opener on the same line or block.
    const lineStart = host.lastIndexOf('\n', k) + 1;
    re.lastIndex = lineStart;
    let m: RegExpExecArray | null;
    let found: Span | undefined;
    const blockOpen = host.lastIndexOf('/*', k);
    if (blockOpen >= 0 && (host.indexOf('*/', blockOpen) < 0 || host.indexOf('*/', blockOpen) > k)) {
      const close = host.indexOf('*/', k);
      found = { start: blockOpen, end: close < 0 ? host.length : close + 2 };
    } else {
      while ((m = re.exec(host)) && m.index <= k) {
        if (m.index + m[0].length > k) { found = { start: m.index, end: m.index + m[0].length }; break; }
        if (m[0].length === 0) re.lastIndex++;
      }
    }
    if (found && !regions.some((r) => found!.start >= r.start && found!.start < r.end)) {
      const d = parseDirective(host.slice(found.start, found.end));
      if (d) {
        let covers: Span;
        if (d.file) covers = { start: 0, end: host.length };
        else {
          // The next line that holds code; widened to any embedded SQL starting on it.
          let lineEnd = host.indexOf('\n', found.end);
          let from = lineEnd < 0 ? host.length : lineEnd + 1;
          while (from < host.length) {
            const e = host.indexOf('\n', from);
            const line = host.slice(from, e < 0 ? host.length : e);
            if (line.trim() !== '') { lineEnd = e < 0 ? host.length : e; break; }
            from = e < 0 ? host.length : e + 1;
          }
          if (from >= host.length) lineEnd = host.length;
          let end = Math.max(lineEnd, found.end);
          let start = found.start;
          // A trailing comment (`query(...); // dupguard-ignore x`) covers its own line instead.
          if (host.slice(lineStart, found.start).trim() !== '') {
            start = lineStart;
            end = found.end;
          }
          for (const r of regions) if (r.start <= end && r.end > start) { start = Math.min(start, r.start); end = Math.max(end, r.end); }
          for (const r of calls) if (r.start <= end && r.end > start) { start = Math.min(start, r.start); end = Math.max(end, r.end); }
          covers = { start, end };
        }
        out.push({ comment: found, rules: d.rules, file: d.file, reason: d.reason, covers, used: new Set() });
      }
    }
    k = host.indexOf('dupguard-ignore', (found?.end ?? k) + 1);
  }
  return out;
}

/** Whether a finding (host offsets) of `rule` is silenced; marks the suppression used. */
export function isSuppressed(list: Suppression[], rule: string, start: number): boolean {
  let hit = false;
  for (const s of list) {
    if (start < s.covers.start || start > s.covers.end) continue;
    if (s.rules.length === 0) { s.used.add('*'); hit = true; }
    else if (s.rules.includes(rule)) { s.used.add(rule); hit = true; }
  }
  return hit;
}

/** Edit that removes a suppression comment (its whole line when the comment stands alone on it). */
export function removalEdit(host: string, c: Span): { start: number; end: number; newText: string } {
  const lineStart = host.lastIndexOf('\n', c.start - 1) + 1;
  let lineEnd = host.indexOf('\n', c.end);
  if (lineEnd < 0) lineEnd = host.length;
  const before = host.slice(lineStart, c.start);
  const after = host.slice(c.end, lineEnd);
  if (before.trim() === '' && after.trim() === '') {
    return { start: lineStart, end: lineEnd < host.length ? lineEnd + 1 : lineEnd, newText: '' };
  }
  // Trailing comment: drop it with the spaces before it.
  let s = c.start;
  while (s > lineStart && (host[s - 1] === ' ' || host[s - 1] === '\t')) s--;
  return { start: s, end: c.end, newText: '' };
}
