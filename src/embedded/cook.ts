/**
 * Builds the SQL text of an embedded literal (the cooked value the database receives) together with
 * an exact segment map back to the host file. A segment is either linear (text[i] ↔ host[i], same
 * length) or an escape (one or two cooked code units that all map to the start of the escape
 * sequence in the host, e.g. `\n` or `\u{1F600}`).
 */

/** Offsets of a built text mapped back into its host file. */
export interface SegmentMap {
  /** text offset where each segment starts (ascending). */
  textStarts: number[];
  /** host offset of each segment's first code unit. */
  hostStarts: number[];
  /** false for escape segments: every offset inside maps to the segment's host start. */
  linear: boolean[];
  /** host offset that text.length maps to (the closing delimiter of the last piece). */
  hostEnd: number;
  textLength: number;
}

/** Host offset of text offset `offset`, exact for every offset in 0..textLength; clamped outside. */
export function mapToHost(m: SegmentMap, offset: number): number {
  if (!(offset > 0)) return m.textStarts.length ? m.hostStarts[0] : m.hostEnd;
  if (offset >= m.textLength) return m.hostEnd;
  let lo = 0;
  let hi = m.textStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (m.textStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  const d = offset - m.textStarts[lo];
  return m.linear[lo] ? m.hostStarts[lo] + d : m.hostStarts[lo];
}

/** Accumulates cooked pieces and their segment map. */
export class TextBuilder {
  private parts: string[] = [];
  private length = 0;
  readonly map: SegmentMap = { textStarts: [], hostStarts: [], linear: [], hostEnd: 0, textLength: 0 };
  readonly placeholders: Array<[number, number]> = [];

  get textLength(): number {
    return this.length;
  }

  /** Appends text that maps one to one onto host[hostStart ...]. */
  linear(text: string, hostStart: number): void {
    if (text.length === 0) return;
    const m = this.map;
    const last = m.textStarts.length - 1;
    // Extend the previous linear run when this piece continues it in both text and host.
    if (!(last >= 0 && m.linear[last] && m.hostStarts[last] + (this.length - m.textStarts[last]) === hostStart)) {
      m.textStarts.push(this.length);
      m.hostStarts.push(hostStart);
      m.linear.push(true);
    }
    this.parts.push(text);
    this.length += text.length;
  }

  /** Appends cooked code units that all stand for the host escape starting at hostStart. */
  escape(cooked: string, hostStart: number): void {
    if (cooked.length === 0) return;
    this.map.textStarts.push(this.length);
    this.map.hostStarts.push(hostStart);
    this.map.linear.push(false);
    this.parts.push(cooked);
    this.length += cooked.length;
  }

  /** Appends a same-length placeholder for an interpolation at host[hostStart, hostStart + text.length). */
  placeholder(text: string, hostStart: number): void {
    const start = this.length;
    this.linear(text, hostStart);
    this.placeholders.push([start, this.length]);
  }

  finish(hostEnd: number): string {
    this.map.hostEnd = hostEnd;
    this.map.textLength = this.length;
    return this.parts.join('');
  }

  /**
   * Appends the cooked value of a literal body `raw` found at host offset `hostStart`.
   * Templates normalize CR LF and lone CR to LF, as JavaScript does; strings keep line continuations out.
   */
  cook(raw: string, hostStart: number, template: boolean): void {
    if (raw.indexOf('\\') < 0 && (!template || raw.indexOf('\r') < 0)) {
      this.linear(raw, hostStart);
      return;
    }
    let run = 0;
    let i = 0;
    const n = raw.length;
    while (i < n) {
      const c = raw.charCodeAt(i);
      if (c === 13 /* \r */ && template) {
        this.linear(raw.slice(run, i), hostStart + run);
        if (raw.charCodeAt(i + 1) === 10) {
          this.escape('\n', hostStart + i);
          i += 2;
        } else {
          this.linear('\n', hostStart + i);
          i += 1;
        }
        run = i;
        continue;
      }
      if (c !== 92 /* \ */) {
        i++;
        continue;
      }
      this.linear(raw.slice(run, i), hostStart + run);
      const [cooked, len] = decodeEscape(raw, i);
      if (cooked.length === 1 && len === 1) this.linear(cooked, hostStart + i);
      else this.escape(cooked, hostStart + i);
      i += len;
      run = i;
    }
    this.linear(raw.slice(run), hostStart + run);
  }
}

const SIMPLE: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' };

/** Decodes the escape at raw[i] (a backslash): [cooked value, raw length]. Lenient: bad escapes cook to themselves. */
function decodeEscape(raw: string, i: number): [string, number] {
  const next = raw[i + 1];
  if (next === undefined) return ['\\', 1];
  if (next in SIMPLE) return [SIMPLE[next], 2];
  if (next === '\r') return ['', raw[i + 2] === '\n' ? 3 : 2];
  if (next === '\n' || next === '\u2028' || next === '\u2029') return ['', 2];
  if (next === 'x') {
    const m = /^[0-9a-fA-F]{2}/.exec(raw.slice(i + 2, i + 4));
    if (m) return [String.fromCharCode(parseInt(m[0], 16)), 4];
    return ['x', 2];
  }
  if (next === 'u') {
    if (raw[i + 2] === '{') {
      const close = raw.indexOf('}', i + 3);
      const hex = close < 0 ? '' : raw.slice(i + 3, close);
      if (/^[0-9a-fA-F]{1,6}$/.test(hex) && parseInt(hex, 16) <= 0x10ffff) {
        return [String.fromCodePoint(parseInt(hex, 16)), close + 1 - i];
      }
      return ['u', 2];
    }
    const hex = raw.slice(i + 2, i + 6);
    if (/^[0-9a-fA-F]{4}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
    return ['u', 2];
  }
  if (next >= '0' && next <= '7') {
    // \0 and legacy octal escapes (sloppy-mode strings).
    const m = /^[0-7]{1,3}/.exec(raw.slice(i + 1, i + 4))!;
    let digits = m[0];
    if (parseInt(digits, 8) > 255) digits = digits.slice(0, 2);
    return [String.fromCharCode(parseInt(digits, 8)), 1 + digits.length];
  }
  // An escaped surrogate pair stays two code units, both for the one escape.
  const cp = raw.codePointAt(i + 1)!;
  const ch = String.fromCodePoint(cp);
  return [ch, 1 + ch.length];
}
