/**
 * `dupguard <command>`: argument dispatch only; each command lives in its own module and is loaded
 * on demand so that `lint` never pays for `pg`.
 */
import { processIO, type CliIO } from './io';

const HELP = `dupguard: stop duplicate rows before they reach PostgreSQL, find and remove the ones already there.

Usage:
  dupguard lint [paths or globs...] [--format text|json|sarif|github]
  dupguard scan --url <postgres-url> [--schema s] [--table s.t] [--key s.t=a,b ...] [--exact|--quick] [--format text|json|md]
  dupguard migrate --url <url> --table s.t --key a,b [--keep oldest|newest] [--order-by col] [--strategy auto|delete|rebuild] [--rollback] [--dry-run]
  dupguard demo            scan an embedded database seeded with the incidents' tables, and lint the examples

Run \`dupguard <command> --help\` for a command's options.`;

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'lint': return (await import('./lint')).run(rest, io);
    case 'scan': return (await import('./scan')).run(rest, io);
    case 'migrate': return (await import('./migrate')).run(rest, io);
    case 'demo': return (await import('./demo')).run(rest, io);
    case undefined: case '-h': case '--help': case 'help':
      io.stdout(`${HELP}\n`);
      return command === undefined ? 2 : 0;
    case '-v': case '--version':
      io.stdout(`${require('../../package.json').version}\n`);
      return 0;
    default:
      io.stderr(`dupguard: unknown command '${command}'\n\n${HELP}\n`);
      return 2;
  }
}

/**
 * Runs the CLI as the process (dist/cli.js calls it once the bundle is loaded; running this module
 * itself does too): arguments from argv, the exit code set when the command is done.
 */
export function start(): void {
  // PostgreSQL's grammar in WASM: V8 compiles it with its baseline compiler, then again with its
  // optimizing one on background threads; a lint run is over before that pays (bench:cli: a small
  // file 0.78 -> 0.28 s of CPU, the regression folder 5.0 -> 4.6 s, less memory). Set before the
  // module is compiled; only here, so the editor's long-lived host and the ESLint plugin keep tiering up.
  // Each function is validated when first compiled, not all 1.1 MB up front (a run calls a fraction of
  // them; a small file's lint: 659M -> 633M instructions).
  // (src/cli/launch.ts sets the same flags before it compiles this bundle.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--liftoff-only --wasm-lazy-validation');
  const io: CliIO = processIO();
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`dupguard: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) start();
