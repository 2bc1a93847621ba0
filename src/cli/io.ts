/** What a CLI command may touch besides the file system: injected so tests can capture it. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}
