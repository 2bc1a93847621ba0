import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../../src/engine/analyze';
import { languageFromPath } from '../../../src/core/languages';
import { extractEmbeddedSql } from '../../../src/embedded/extract';
import { LineIndex } from '../../../src/core/positions';

const dir = path.resolve(__dirname, '../../fixtures/embedded');

/** `expect: <rule>` markers: line number → rule ids expected to start a finding on that line. */
function expectations(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    for (const m of line.matchAll(/expect: ([a-z][a-z-]+)/g)) out.push([i + 1, m[1]]);
  });
  return out;
}

for (const name of fs.readdirSync(dir).sort()) {
  const file = path.join(dir, name);
  const lf = fs.readFileSync(file, 'utf8');
  for (const [variant, text] of [['LF', lf], ['CRLF', lf.replace(/\n/g, '\r\n')]] as const) {
    test(`${name} (${variant}): one finding per expect marker, each covering its ON CONFLICT clause in the host file`, () => {
      const language = languageFromPath(name)!;
      const findings = analyze({ text, path: name, language }).findings;
      const index = new LineIndex(text);
      const got = findings.map((f) => [index.position(f.start).line, f.rule] as [number, string]);
      assert.deepEqual(got, expectations(text));
      for (const f of findings) assert.equal(text.slice(f.start, f.end), 'ON CONFLICT DO NOTHING');
      // The same positions whatever the line endings: only the line breaks differ.
      if (variant === 'CRLF') {
        const lfIndex = new LineIndex(lf);
        const lfFindings = analyze({ text: lf, path: name, language }).findings;
        assert.deepEqual(findings.map((f) => index.position(f.start)), lfFindings.map((f) => lfIndex.position(f.start)));
      }
      for (const e of extractEmbeddedSql(text, language)) {
        for (let i = 0; i < e.text.length; i++) {
          const h = text[e.toHost(i)];
          const inHole = e.placeholders.some(([s, t]) => i >= s && i < t);
          assert.ok(inHole || h === e.text[i] || h === '\\' || (h === '\r' && e.text[i] === '\n'), `${name}: text[${i}] maps back`);
        }
      }
    });
  }
}
