/**
 * The shared real-world SQL corpus (../shared/corpus beside the repository). Tests and benchmarks
 * that read it skip with a printed note when it is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Absolute path of the corpus folder (it may not exist). */
export const corpusDir = path.resolve(__dirname, '../../../shared/corpus');

/** Every .sql file under `dir`, sorted, as absolute paths. */
export function listSqlFiles(dir: string = corpusDir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listSqlFiles(p));
    else if (e.name.endsWith('.sql')) out.push(p);
  }
  return out.sort();
}
