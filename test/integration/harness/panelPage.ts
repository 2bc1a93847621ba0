/**
 * The duplicates panel as a user sees it: the harness finds the webview's frame in the page and reads
 * or clicks its DOM there (the extension ships no test hook into its webview). The tests ask for it
 * through page actions (screenshots.ts): `{"panel": "state"}` answers with a PanelView as JSON,
 * `{"panel": "click", "selector": ...}` clicks like a mouse, `{"panel": "scroll", "selector": ..., "top": n}`.
 */
import type { Frame, Page } from 'playwright-core';

/** What the panel shows, read from its DOM. */
export interface PanelView {
  /** One entry per line of the results table: the table's name, then its figure cells. */
  rows: { name: string; cells: string[] }[];
  /** Bars of the chart: label and value. */
  bars: { label: string; value: string }[];
  /** The chart's legend entries. */
  legend: string[];
  sort: { column: string; descending: boolean };
  /** Tables expanded, in display order. */
  expanded: string[];
  /** Banners above the results (scan failed, cancelled, stopped early, no duplicates). */
  banners: string[];
  /** Dry-run results shown, by check key: their text. */
  dryRuns: Record<string, string>;
  /** The summary cards, as `value label`. */
  stats: string[];
  /** The header's buttons, by label. */
  buttons: string[];
  /** The header's buttons that are disabled. */
  disabled: string[];
  /** Per check key: its action buttons as `label` (`*label` when primary, `label!` when disabled). */
  actions: Record<string, string[]>;
  /** Per check key: its confidence / source badges. */
  badges: Record<string, string[]>;
  /** Check keys whose sample groups are open. */
  openSamples: string[];
  /** Text of the empty-state paragraphs (`.empty`). */
  empty: string[];
  /** The status line under the title. */
  subtitle: string;
  /** The scroll offset of the page. */
  scrollY: number;
  /** The document's visible width. */
  width: number;
  /** Elements whose content is wider than their box (cut off), as `tag.class: scrollWidth > clientWidth`. */
  overflowing: string[];
  /** Whether the page scrolls sideways. */
  pageScrollsSideways: boolean;
}

/** Runs in the webview's frame. */
function readPanel(): PanelView {
  const all = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document) => Array.from(root.querySelectorAll<T>(sel) as NodeListOf<T & Element>) as T[];
  const text = (el: Element | null | undefined) => (el?.textContent ?? '').trim();
  const rows = all<HTMLTableRowElement>('table.results tr.table-row').map((tr) => ({
    name: tr.dataset.table ?? '',
    cells: all('td', tr).slice(2).map((td) => td.textContent ?? ''),
  }));
  const bars = all('.chart .bar').map((b) => ({ label: text(b.querySelector('.bar-label')), value: text(b.querySelector('.bar-value')) }));
  const active = document.querySelector<HTMLElement>('table.results th.active');
  const dryRuns: Record<string, string> = {};
  for (const el of all('.check[data-check] .dryrun')) dryRuns[el.closest<HTMLElement>('.check')!.dataset.check!] = el.textContent ?? '';
  const actions: Record<string, string[]> = {};
  const badges: Record<string, string[]> = {};
  for (const c of all('.check[data-check]')) {
    actions[c.dataset.check!] = all<HTMLButtonElement>('.actions button', c).map((b) => `${b.classList.contains('primary') ? '*' : ''}${text(b)}${b.disabled ? '!' : ''}`);
    badges[c.dataset.check!] = all('.check-head .badge', c).map((b) => text(b));
  }
  const overflowing: string[] = [];
  for (const el of all('body *')) {
    // Tables may be scrolled inside their own wrapper; every other box must hold its content.
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && getComputedStyle(el).overflowX !== 'auto') {
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(/\s+/).join('.')}` : '';
      overflowing.push(`${el.tagName.toLowerCase()}${cls}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return {
    rows, bars,
    legend: all('.legend .legend-item').map((l) => text(l)),
    sort: { column: active?.dataset.sort ?? '', descending: active?.getAttribute('aria-sort') === 'descending' },
    expanded: all<HTMLTableRowElement>('table.results tr.table-row[aria-expanded="true"]').map((tr) => tr.dataset.table ?? ''),
    banners: all('.banner').map((b) => b.textContent ?? ''),
    dryRuns,
    stats: all('.stats .stat').map((el) => `${text(el.querySelector('.stat-value'))} ${text(el.querySelector('.stat-label'))}`),
    buttons: all('header.top button').map((b) => text(b)),
    disabled: all<HTMLButtonElement>('header.top button').filter((b) => b.disabled).map((b) => text(b)),
    actions, badges,
    openSamples: all<HTMLDetailsElement>('.check[data-check] details.samples').filter((d) => d.open).map((d) => d.closest<HTMLElement>('.check')!.dataset.check!),
    empty: all('.empty').map((e) => text(e)),
    subtitle: text(document.querySelector('header.top .muted')),
    scrollY: Math.round(document.scrollingElement?.scrollTop ?? 0),
    width: document.documentElement.clientWidth,
    overflowing,
    pageScrollsSideways: (document.scrollingElement?.scrollWidth ?? 0) > document.documentElement.clientWidth + 1,
  };
}

/** The frame holding the duplicates panel (a webview's inner frame), or undefined while none is shown. */
export async function panelFrame(page: Page): Promise<Frame | undefined> {
  for (const f of page.frames()) {
    const ok = await f.evaluate(() => document.title === 'Duplicates' && !!document.getElementById('app')).catch(() => false);
    if (ok) return f;
  }
  return undefined;
}

export interface PanelAction { panel: 'state' | 'click' | 'scroll'; selector?: string; top?: number }

/** Does what `a` asks in the panel's frame; the answer is JSON (the state) or empty. */
export async function panelAction(page: Page, a: PanelAction): Promise<string> {
  const frame = await panelFrame(page);
  if (!frame) throw new Error('the duplicates panel is not on screen');
  switch (a.panel) {
    case 'state':
      // As source text: the harness runs under tsx, whose helpers (`__name`) do not exist in the page.
      return JSON.stringify(await frame.evaluate(`(() => { const __name = (f) => f; return (${readPanel.toString()})(); })()`));
    case 'click':
      await frame.click(a.selector!, { timeout: 20_000 });
      return '';
    case 'scroll':
      await frame.evaluate((top) => { document.scrollingElement!.scrollTop = top; }, a.top ?? 0);
      return '';
  }
}
