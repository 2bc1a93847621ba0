import type { CliIO } from './io';

/** `dupguard demo`: being built in this session. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  void argv;
  io.stderr('dupguard demo: not available in this build\n');
  return 2;
}
