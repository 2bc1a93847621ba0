/** Entry point VS Code loads through `extensionTestsPath`: registers the tests and runs them. */
import { runAll } from './runner';
import './extension.tests';
import './panel.tests';
import './workspaceFiles.tests';
import './orm.tests';

export function run(): Promise<void> {
  return runAll();
}
