/** What a CLI command may touch besides the file system: injected so tests can capture it. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The process's streams for a CLI run. The report goes to stdout through the write function captured
 * here; anything else that writes to stdout from then on (the WASM parser prints PostgreSQL's messages,
 * such as "Terminating process due to FATAL error", through console.log) goes to stderr instead, so
 * stdout carries the report alone and stays parseable.
 */
export function processIO(): CliIO {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((...args: Parameters<typeof process.stdout.write>) => err(...(args as Parameters<typeof process.stderr.write>))) as typeof process.stdout.write;
  return {
    stdout: (s) => { out(s); },
    stderr: (s) => { err(s); },
    cwd: process.cwd(),
    env: process.env,
  };
}
