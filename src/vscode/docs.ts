/** Where each rule's documentation lives: bundled in the extension (offline) and on the web. */
import * as vscode from 'vscode';

const FALLBACK_REPO = 'https://github.com/dupguard/dupguard';

/** Builds docs links from the manifest's `repository` field so the links follow the project. */
export class RuleDocs {
  private readonly web: string;

  constructor(private readonly extensionUri: vscode.Uri, packageJSON: { repository?: string | { url?: string } }) {
    const repo = typeof packageJSON.repository === 'string' ? packageJSON.repository : packageJSON.repository?.url;
    this.web = (repo ?? FALLBACK_REPO).replace(/^git\+/, '').replace(/\.git$/, '');
  }

  /** The docs page on the web (the diagnostic's `code.target`). */
  webUri(rule: string): vscode.Uri {
    return vscode.Uri.parse(`${this.web}/blob/main/docs/rules/${encodeURIComponent(rule)}.md`);
  }

  /** Opens the bundled page in the Markdown preview when shipped, else the web page. */
  async show(rule: string): Promise<void> {
    if (!/^[a-z0-9-]+$/.test(rule)) return;
    const local = vscode.Uri.joinPath(this.extensionUri, 'docs', 'rules', `${rule}.md`);
    try {
      await vscode.workspace.fs.stat(local);
      await vscode.commands.executeCommand('markdown.showPreview', local);
    } catch {
      await vscode.env.openExternal(this.webUri(rule));
    }
  }
}
