import type { CliIO } from './io';

/** `dupguard migrate`: being built in this session. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  void argv;
  io.stderr('dupguard migrate: not available in this build\n');
  return 2;
}
