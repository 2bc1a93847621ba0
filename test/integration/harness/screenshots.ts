/**
 * Screenshots on request from the extension-host tests: a test writes `<name>.request` (holding the
 * PNG path) into the folder named by DUPGUARD_TEST_SCREENSHOTS and waits for `<name>.done`; the harness,
 * which drives the browser, takes the picture in between. The extension host cannot reach the page.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';

/** Watches `dir` for requests until the returned function is called. */
export function serveScreenshots(page: Page, dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  let stopped = false;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.request'))) {
        const req = path.join(dir, f);
        const target = fs.readFileSync(req, 'utf8').trim();
        fs.rmSync(req);
        let result = 'ok';
        try {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          await page.screenshot({ path: target });
        } catch (e) {
          result = `error: ${e instanceof Error ? e.message : e}`;
        }
        fs.writeFileSync(req.replace(/\.request$/, '.done'), result);
      }
    } catch {
      // The folder went away with the scratch directory: nothing left to serve.
    } finally {
      busy = false;
    }
  }, 150);
  return () => { stopped = true; clearInterval(timer); };
}
