/**
 * Page actions on request from the extension-host tests, which cannot reach the browser page: a test
 * writes `<name>.request` into the folder named by DUPGUARD_TEST_SCREENSHOTS and waits for
 * `<name>.done`; the harness, which drives the browser, acts in between. A request holds either the
 * path of a PNG to take, `{"press": "Enter"}` (a key press), `{"type": "text"}` (typing into the focused
 * input) or `{"click": "<selector>"}` (e.g. the Cancel button of a progress notification).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { panelAction, type PanelAction } from './panelPage';

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
        const body = fs.readFileSync(req, 'utf8').trim();
        fs.rmSync(req);
        let result = '';
        let data = '';
        try {
          if (body.startsWith('{')) {
            const action = JSON.parse(body) as { waitFor?: string; focus?: boolean; press?: string; click?: string; type?: string; delay?: number; viewport?: { width: number; height: number }; panel?: PanelAction['panel']; texts?: string };
            if (action.viewport) await page.setViewportSize(action.viewport);
            if (action.panel) data = await panelAction(page, action as PanelAction);
            // The text of every element matching a selector (notifications, a dialog), as a JSON array.
            if (action.texts) data = JSON.stringify(await page.locator(action.texts).allInnerTexts());
            if (action.waitFor) {
              const target = page.locator(action.waitFor).first();
              await target.waitFor({ state: 'visible', timeout: 45_000 });
              if (action.focus) await target.focus();
            }
            if (action.type) await page.keyboard.type(action.type, { delay: action.delay });
            if (action.press) await page.keyboard.press(action.press);
            if (action.click) await page.click(action.click, { timeout: 45_000 });
          } else {
            fs.mkdirSync(path.dirname(body), { recursive: true });
            await page.screenshot({ path: body });
          }
          result = `ok@${Date.now()}${data ? `\n${data}` : ''}`;
        } catch (e) {
          result = `error: ${e instanceof Error ? e.message : e}`;
        }
        // Written whole, then renamed: the test never reads a half-written answer.
        const done = req.replace(/\.request$/, '.done');
        fs.writeFileSync(`${done}.tmp`, result);
        fs.renameSync(`${done}.tmp`, done);
      }
    } catch {
      // The folder went away with the scratch directory: nothing left to serve.
    } finally {
      busy = false;
    }
  }, 150);
  return () => { stopped = true; clearInterval(timer); };
}
