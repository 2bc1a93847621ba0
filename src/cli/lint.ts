import type { CliIO } from './io';

/** `dupguard lint`: being built in this session. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  void argv;
  io.stderr('dupguard lint: not available in this build\n');
  return 2;
}
