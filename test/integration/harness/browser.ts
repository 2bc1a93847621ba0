/** Debian's Chromium driven by playwright-core (no browser download). */
import * as fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DUPGUARD_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface OpenBrowser {
  browser: Browser;
  page: Page;
  /** Browser console lines, for failure reports. */
  console: string[];
  close(): Promise<void>;
}

export async function openBrowser(env: NodeJS.ProcessEnv): Promise<OpenBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package \`chromium\`; test/setup/system.sh installs it)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, env, timeout: 30_000 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const lines: string[] = [];
  page.on('console', (m) => { lines.push(`[${m.type()}] ${m.text()}`); if (lines.length > 2000) lines.shift(); });
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  return {
    browser, page, console: lines,
    async close() {
      // playwright stops the Chromium it launched (and kills it on exit of this process).
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => {});
    },
  };
}
