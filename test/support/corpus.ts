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

/**
 * The benchmarks' big single file: the corpus's pg_dump output, then its migrations round and round,
 * until `size` bytes are written to `file`. Returns the bytes written.
 */
export function writeBigSqlFile(file: string, size: number, dir: string = corpusDir): number {
  const migrations = listSqlFiles(path.join(dir, 'migrations'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  // each file ends its last statement: a missing final `;` does not join two files' statements
  const sep = Buffer.from('\n;\n');
  let written = 0;
  const put = (f: string) => {
    const b = fs.readFileSync(f);
    fs.writeSync(fd, b);
    fs.writeSync(fd, sep);
    written += b.length + sep.length;
  };
  try {
    for (const f of listSqlFiles(path.join(dir, 'dumps'))) put(f);
    for (let i = 0; written < size; i = (i + 1) % migrations.length) put(migrations[i]);
  } finally {
    fs.closeSync(fd);
  }
  return written;
}
