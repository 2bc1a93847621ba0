/** Entry point of the folder-less window's run (`runSuite('no-folder')`): VS Code opened on no folder. */
import { runAll } from './runner';
import './noFolder.tests';

export function run(): Promise<void> {
  return runAll();
}
