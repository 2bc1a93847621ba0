/**
 * The packaged extension's size (`npm run bench:editor` prints it after the latencies): a production
 * build packaged by vsce from a staged copy, as the integration run installs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageVsix, vsixEntries } from '../integration/harness/run';

const vsix = packageVsix();
console.log(`.vsix: ${path.relative(process.cwd(), vsix)} ${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB, ${vsixEntries(vsix).length} files`);
