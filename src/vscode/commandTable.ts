/** The extension's commands, one table: ids and titles here, handlers in commands.ts. No `vscode` import. */
export const CATEGORY = 'Dupguard';

export interface CommandInfo {
  id: string;
  title: string;
  /** Listed in the command palette (internal commands are not). */
  palette: boolean;
}

export const COMMANDS = {
  scanDatabase: { id: 'dupguard.scanDatabase', title: 'Scan DB for duplicates', palette: true },
  lintWorkspace: { id: 'dupguard.lintWorkspace', title: 'Lint Workspace', palette: true },
  showOutput: { id: 'dupguard.showOutput', title: 'Show Output', palette: true },
  enableDataCheck: { id: 'dupguard.enableDataCheck', title: 'Check Migrations Against the Connected Database', palette: true },
  disableDataCheck: { id: 'dupguard.disableDataCheck', title: 'Stop Checking Migrations Against the Database', palette: true },
  generateDedupMigration: { id: 'dupguard.generateDedupMigration', title: 'Generate Dedup Migration', palette: false },
  forgetPassword: { id: 'dupguard.forgetPassword', title: 'Forget Saved Database Password', palette: true },
  showRuleDocumentation: { id: 'dupguard.showRuleDocumentation', title: 'Show Rule Documentation', palette: false },
  openExample: { id: 'dupguard.openExample', title: 'Open Example with Duplicate-Row Hazards', palette: true },
} as const satisfies Record<string, CommandInfo>;

export type CommandName = keyof typeof COMMANDS;
