/** Entry point of the untrusted-workspace run (`runSuite('untrusted')`): workspace trust on, the folder not trusted. */
import { runAll } from './runner';
import './untrusted.tests';

export function run(): Promise<void> {
  return runAll();
}
