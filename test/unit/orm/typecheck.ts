/**
 * Type-checks ORM code the way its users compile it: virtual files beside this folder, so the ORM
 * libraries (dev dependencies) resolve from the repository's node_modules; nothing is written to disk.
 */
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
