/**
 * Type-checks ORM code the way its users compile it: virtual files beside this folder, so the ORM
 * libraries (dev dependencies) resolve from the repository's node_modules; nothing is written to disk.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '../../..');

/** Parsed library declarations, shared by every type check of this file (parsing them is most of the cost). */
const parsed = new Map<string, ts.SourceFile>();
let previous: ts.Program | undefined;

/**
 * Type-checks virtual files (paths relative to a folder of this repository, so that the libraries
 * resolve from its node_modules) and returns the diagnostics as text; nothing is written to disk.
 */
export function typeErrors(files: Record<string, string>): string[] {
  const dir = path.join(root, 'test/unit/orm/__virtual__');
  const abs = new Map(Object.entries(files).map(([p, t]) => [path.join(dir, p), t]));
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], experimentalDecorators: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const directoryExists = host.directoryExists?.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => abs.get(f) ?? readFile(f);
  host.fileExists = (f) => abs.has(f) || fileExists(f);
  host.directoryExists = (d) => d.startsWith(dir) || (directoryExists ? directoryExists(d) : true);
  host.getSourceFile = (f, v, onError, create) => {
    if (abs.has(f)) return ts.createSourceFile(f, abs.get(f)!, v, true);
    let sf = parsed.get(f);
    if (!sf) {
      sf = getSourceFile(f, v, onError, create);
      if (sf) parsed.set(f, sf);
    }
    return sf;
  };
  const program = ts.createProgram([...abs.keys()], options, host, previous);
  previous = program;
  return ts.getPreEmitDiagnostics(program)
    .filter((d) => !d.file || abs.has(d.file.fileName))
    .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/**
 * Generates the Prisma client of a schema (`prisma generate` with the `prisma-client` generator, the
 * `prisma` and `@prisma/client` dev dependencies) into a new temporary folder, and returns the path
 * to import it from (its `client.ts`, without the extension). Offline: generation reads the schema
 * with the WASM engine shipped in the npm package; the schema-engine binary, which `prisma generate`
 * would otherwise download first and never runs, is pointed at an existing file. The schema's
 * datasource `url` is left out (Prisma 7 reads it from prisma.config.ts; generation needs none).
 * `dispose()` removes the folder.
 */
export function prismaClient(schema: string): { client: string; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-prisma-'));
  // the generated client imports @prisma/client/runtime: resolved from this repository's node_modules
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const generator = 'generator client {\n  provider = "prisma-client"\n  output   = "./generated"\n}\n';
  fs.writeFileSync(path.join(dir, 'schema.prisma'), generator + schema.replace(/^\s*url\s*=.*$/m, ''));
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'generate', '--schema', path.join(dir, 'schema.prisma'), '--no-hints'], {
    cwd: dir, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
  });
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) {
    dispose();
    throw new Error(`prisma generate failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
  return { client: path.join(dir, 'generated', 'client'), dispose };
}
