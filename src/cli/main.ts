/**
 * `dupguard <command>`: argument dispatch only; each command lives in its own module and is loaded
 * on demand so that `lint` never pays for `pg`.
 */
import { processIO, type CliIO } from './io';
import { setCliV8Flags } from './v8Flags';

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
  // The V8 flags of a CLI run (src/cli/v8Flags.ts; src/cli/launch.ts sets them before it compiles
  // this bundle). The streams first: Node's own modules loaded after the flags change are compiled
  // from source, not from Node's code cache.
  const io: CliIO = processIO();
  setCliV8Flags();
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`dupguard: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) start();
