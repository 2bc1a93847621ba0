/**
 * Offsets ↔ 1-based line/column (UTF-16 code units, as editors count). Built once per text; lookups
 * are a binary search over line starts. Edges (CLI, SARIF, editor) use it; the core speaks offsets.
 */

import type { Location } from './types';

/** Line starts of a text, for offset/position conversion. Lines break at \n, \r\n and lone \r. */
export class LineIndex {
  private readonly starts: Int32Array;

  constructor(readonly text: string) {
    if (!text.includes('\r')) {
      // \n only (most texts): indexOf runs natively, where a loop over every character ran in the
      // interpreter for most of a short CLI run. Counted first, then written: no array of numbers
      // (8 bytes a line, and its growth) on the way to the 4 bytes a line kept.
      let n = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
      const starts = new Int32Array(n);
      let k = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1;
      this.starts = starts;
      return;
    }
    const s: number[] = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) s.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        s.push(i + 1);
      }
    }
    this.starts = Int32Array.from(s);
  }

  /** Number of lines (an empty text has one). */
  get lineCount(): number {
    return this.starts.length;
  }

  /** 1-based line and column of an offset (clamped to the text). */
  position(offset: number): { line: number; column: number } {
    const off = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= off) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, column: off - this.starts[lo] + 1 };
  }

  /** Offset of a 1-based line and column (clamped to the line's end and to the text). */
  offset(line: number, column: number): number {
    if (line < 1) return 0;
    if (line > this.starts.length) return this.text.length;
    const start = this.starts[line - 1];
    const next = line < this.starts.length ? this.starts[line] : this.text.length;
    let lineEnd = next;
    if (line < this.starts.length) {
      // Exclude the line break itself.
      if (this.text.charCodeAt(lineEnd - 1) === 10) lineEnd--;
      if (this.text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    }
    return Math.min(start + Math.max(0, column - 1), lineEnd);
  }

  /** Offset where line `line` (1-based) starts. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line - 1, this.starts.length - 1))];
  }
}

/** A Location in `path` of [start, end), from its file's lines. */
export function locationAt(path: string, lines: LineIndex, start: number, end: number): Location {
  const a = lines.position(start);
  const b = lines.position(end);
  return { path, start, end, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}

/** One-shot conversion of an offset to a 1-based line/column (build a LineIndex for many). */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  return new LineIndex(text).position(offset);
}
