/**
 * The duplicates panel's webview script (bundled by esbuild.js into dist/media/panel.js for the
 * browser). Draws a scan report: summary, a bar chart of excess rows, a sortable table with one line
 * per database table and, per table, its checks with sample groups and the action buttons. Built
 * with DOM calls only (no innerHTML): report values are data, never markup. UI state (sort order,
 * expanded tables, dry-run results, the last report) lives in getState/setState.
 */
import type { ScanCheck, ScanReport, ScanTable } from '../src/db/report';
import { describeEstimate, formatBytes, formatCount, formatEstimate, formatPercent, isGuess, tableFigures, type TableFigures } from '../src/vscode/database/figures';
import {
  checkKey, type CheckRef, type FromWebview, type PanelState, type SortColumn, type ToWebview,
} from '../src/vscode/database/messages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: PanelState = vscode.getState() ?? { sort: { column: 'excess', descending: true }, expanded: [], dryRuns: {} };
let scanningLabel: string | undefined;
let failure: string | undefined;
const busy = new Map<string, string>();

const app = document.getElementById('app')!;

function save(): void {
  vscode.setState(state);
}

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

type Child = Node | string | undefined | false;

/** createElement with classes, attributes and children; strings become text nodes. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; attrs?: Record<string, string>; title?: string } = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

function button(label: string, cls: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { class: cls, attrs: { type: 'button', ...attrs } }, label);
  b.addEventListener('click', onClick);
  return b;
}

const COLUMNS: { id: SortColumn; label: string; numeric: boolean; title: string }[] = [
  { id: 'table', label: 'Table', numeric: false, title: 'schema.table' },
  { id: 'rows', label: 'Rows', numeric: true, title: 'Rows in the table' },
  { id: 'groups', label: 'Duplicate groups', numeric: true, title: 'Key values held by more than one row' },
  { id: 'excess', label: 'Excess rows', numeric: true, title: 'Rows beyond the first of each group: what a dedup deletes' },
  { id: 'percent', label: '% excess', numeric: true, title: 'Excess rows as a share of the table' },
  { id: 'bytes', label: 'Reclaimable', numeric: true, title: 'Estimated space a dedup frees (excess rows × average row size)' },
];

function sortValue(f: TableFigures, c: SortColumn): number | string {
  switch (c) {
    case 'table': return `${f.schema}.${f.table}`;
    case 'rows': return f.rows;
    case 'groups': return f.duplicateGroups;
    case 'excess': return f.excessRows;
    case 'percent': return f.percentExcess;
    case 'bytes': return f.reclaimableBytes;
  }
}

function sorted(tables: ScanTable[]): { t: ScanTable; f: TableFigures }[] {
  const { column, descending } = state.sort;
  const list = tables.map((t) => ({ t, f: tableFigures(t) }));
  list.sort((a, b) => {
    const x = sortValue(a.f, column);
    const y = sortValue(b.f, column);
    const cmp = typeof x === 'string' ? x.localeCompare(String(y)) : x - (y as number);
    // Ties: by name, so the order is stable whatever the sort.
    return (descending ? -cmp : cmp) || `${a.f.schema}.${a.f.table}`.localeCompare(`${b.f.schema}.${b.f.table}`);
  });
  return list;
}

function tableName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/** `≈ ` before a figure that is an estimate. */
function approx(estimated: boolean | undefined, text: string): string {
  return estimated && !text.startsWith('≈') ? `≈ ${text}` : text;
}

function summary(report: ScanReport): HTMLElement {
  const s = report.summary;
  const est = report.mode === 'quick' || report.tables.some((t) => t.rowsEstimated);
  const stat = (value: string, label: string, cls = '') => h('div', { class: `stat ${cls}` }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label));
  return h('section', { class: 'stats' },
    stat(formatCount(s.tablesScanned), 'tables scanned'),
    stat(formatCount(s.tablesWithDuplicates), 'with duplicates', s.tablesWithDuplicates ? 'bad' : 'good'),
    stat(approx(est, formatCount(s.excessRows)), 'excess rows', s.excessRows ? 'bad' : ''),
    stat(approx(est, formatBytes(s.reclaimableBytes)), 'reclaimable'),
    !!s.lowerConfidenceTables && stat(formatCount(s.lowerConfidenceTables), 'with look-alike rows or guessed keys (not counted)', 'note'),
    stat(`${(report.durationMs / 1000).toFixed(1)} s`, `${report.mode} scan`),
  );
}

function chart(rows: { t: ScanTable; f: TableFigures }[]): HTMLElement | undefined {
  const withDup = rows.filter((r) => r.f.excessRows > 0).sort((a, b) => b.f.excessRows - a.f.excessRows).slice(0, 12);
  if (!withDup.length) return undefined;
  const max = Math.max(...withDup.map((r) => r.f.excessRows));
  const bars = withDup.map(({ f }) => {
    const fill = h('div', { class: `bar-fill${f.inferred ? ' inferred' : ''}` });
    // CSSOM, not a style attribute: the CSP forbids inline styles.
    fill.style.width = `${Math.max(0.5, (f.excessRows / max) * 100)}%`;
    return h('div', { class: 'bar', attrs: { 'data-table': tableName(f) }, title: `${tableName(f)}: ${formatCount(f.excessRows)} excess rows (${formatPercent(f.percentExcess)} of ${formatCount(f.rows)})` },
      h('div', { class: 'bar-label' }, tableName(f)),
      h('div', { class: 'bar-track' }, fill),
      h('div', { class: 'bar-value' }, approx(f.estimated, formatCount(f.excessRows))),
    );
  });
  const item = (cls: string, text: string) => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${cls}` }), text);
  const legend = h('div', { class: 'legend' },
    item('', 'declared or configured key, whole-row copies'),
    withDup.some((r) => r.f.inferred) && item('inferred', 'guessed key or look-alike rows: not in the totals'),
    withDup.some((r) => r.f.estimated) && h('span', { class: 'legend-item' }, '≈ estimated'),
  );
  return h('section', { class: 'chart', attrs: { 'aria-label': 'Excess rows per table' } }, h('h2', {}, 'Excess rows per table'), ...bars, legend);
}

function checkTitle(c: ScanCheck): string {
  switch (c.kind) {
    case 'exact-row': return 'Whole-row copies';
    case 'unique-nulls': return `NULLs slipping past ${c.constraint ?? 'a unique key'}`;
    default: return `Key (${c.columns.join(', ')})`;
  }
}

function sourceBadge(c: ScanCheck): HTMLElement {
  const text = c.source === 'config' ? 'configured' : c.source === 'inferred' ? 'inferred' : c.source === 'unique-index' ? 'unique index' : 'all columns';
  return h('span', { class: `badge ${c.source}` }, text);
}

/** The scan's confidence class of a check, when it gives one ('certain' | 'likely' | 'lookalike' | 'guess'). */
function confidenceBadge(c: ScanCheck): HTMLElement | undefined {
  const confidence = (c as { confidence?: string }).confidence;
  return confidence ? h('span', { class: `badge confidence ${confidence}`, title: 'how sure the scan is that these rows are copies' }, confidence) : undefined;
}

/** The scan gives the first and last copy of a group (lowest and highest id or ctid). */
function copies(ids: string[], count: number): string {
  if (ids.length !== 2) return ids.join(', ');
  return count > 2 ? `${ids[0]} … ${ids[1]}` : `${ids[0]}, ${ids[1]}`;
}

function checkView(t: ScanTable, c: ScanCheck, index: number): HTMLElement {
  const ref: CheckRef = { schema: t.schema, table: t.table, check: index };
  const key = checkKey(ref);
  const figures = c.error
    ? h('p', { class: 'error' }, c.error)
    : c.estimated && c.excessRowsHigh !== undefined
      ? h('p', { class: `check-figures${c.inconclusive ? ' inconclusive' : ''}` }, describeEstimate(c))
      : h('p', { class: 'check-figures' },
      `${formatCount(c.duplicateGroups)} duplicate groups, ${formatCount(c.excessRows)} excess rows, up to ${formatCount(c.maxCopies)} copies` +
      ` · ${formatCount(c.distinct)} distinct of ${formatCount(c.rows)} rows${c.estimated ? ' (estimated)' : ''}`);
  const detail: Child[] = [];
  if (c.reason) detail.push(h('p', { class: 'muted' }, c.reason));
  if (c.ignoredColumns?.length) detail.push(h('p', { class: 'muted' }, `Ignored: ${c.ignoredColumns.map((i) => `${i.name} (${i.reason})`).join(', ')}`));
  let samples: HTMLElement | undefined;
  if (c.sample.length) {
    const idCol = c.sample.find((g) => g.idColumn)?.idColumn;
    const head = h('tr', {}, ...c.columns.map((col) => h('th', {}, col)), h('th', { class: 'num' }, 'copies'),
      h('th', { title: 'the lowest and highest of the group' }, idCol ? `${idCol} (first … last)` : 'row position (first … last)'));
    const body = c.sample.map((g) => h('tr', {},
      ...g.values.map((v) => h('td', { class: v === null ? 'null' : '' }, v === null ? 'NULL' : v)),
      h('td', { class: 'num' }, formatCount(g.count)),
      h('td', { class: 'ids' }, copies(g.ids ?? g.ctids ?? [], g.count)),
    ));
    samples = h('details', { class: 'samples' }, h('summary', {}, `Largest ${c.sample.length} group${c.sample.length === 1 ? '' : 's'}`),
      h('div', { class: 'scroll-x' }, h('table', { class: 'sample-table' }, h('thead', {}, head), h('tbody', {}, ...body))));
    const details = samples as HTMLDetailsElement;
    // Open or closed as the user left it, across re-renders and reloads.
    details.open = (state.openSamples ?? []).includes(key);
    details.addEventListener('toggle', () => {
      const others = (state.openSamples ?? []).filter((k) => k !== key);
      state.openSamples = details.open ? [...others, key] : others;
      save();
    });
  }
  const working = busy.get(key);
  const canFix = !c.error && c.duplicateGroups > 0 && c.kind !== 'unique-nulls';
  // A guessed key gets no primary button, and its migration asks first (rows deleted, share of the table).
  const guess = isGuess(c);
  const nullHoles = !c.error && c.duplicateGroups > 0 && c.kind === 'unique-nulls';
  const actions = h('div', { class: 'actions' },
    canFix && button(guess ? 'Generate migration…' : 'Generate migration', guess ? 'secondary' : 'primary', () => post({ command: 'generateMigration', ref }), { 'data-action': 'generate', 'data-check': key, ...(working ? { disabled: '' } : {}) }),
    nullHoles && button('Generate NULLS NOT DISTINCT migration', 'primary', () => post({ command: 'generateMigration', ref }), {
      'data-action': 'generate-nulls', 'data-check': key, title: 'Removes the copies, then makes the key treat NULLs as equal (PostgreSQL 15+), so they cannot come back', ...(working ? { disabled: '' } : {}),
    }),
    canFix && button('Dry run', 'secondary', () => post({ command: 'dryRun', ref }), { 'data-action': 'dryrun', 'data-check': key, ...(working ? { disabled: '' } : {}) }),
    !c.error && button('Copy query', 'secondary', () => post({ command: 'copyQuery', ref }), { 'data-action': 'copy', 'data-check': key }),
    working && h('span', { class: 'muted' }, working),
  );
  const dry = state.dryRuns[key];
  const dryView = dry && h('div', { class: `dryrun ${dry.ok ? 'ok' : 'failed'}` },
    h('strong', {}, dry.ok ? 'Dry run: the dedup and the constraint both work (rolled back)' : 'Dry run: the migration would fail (rolled back)'),
    h('ul', {}, ...dry.lines.map((l) => h('li', {}, l))),
    dry.error && h('p', { class: 'error' }, dry.error),
  );
  return h('div', { class: `check${c.duplicateGroups > 0 ? ' has-dups' : ''}`, attrs: { 'data-check': key } },
    h('div', { class: 'check-head' }, h('span', { class: 'check-title' }, checkTitle(c)), sourceBadge(c), confidenceBadge(c)),
    figures, ...detail, samples, actions, dryView);
}

function resultsTable(rows: { t: ScanTable; f: TableFigures }[]): HTMLElement {
  const head = h('tr', {}, h('th', { class: 'twisty-col' }), ...COLUMNS.map((col) => {
    const active = state.sort.column === col.id;
    const th = h('th', { class: `${col.numeric ? 'num ' : ''}sortable${active ? ' active' : ''} col-${col.id}`, title: col.title,
      attrs: { 'data-sort': col.id, 'aria-sort': active ? (state.sort.descending ? 'descending' : 'ascending') : 'none', tabindex: '0' } },
    col.label, active ? (state.sort.descending ? ' ▾' : ' ▴') : '');
    const sortBy = () => {
      state.sort = state.sort.column === col.id ? { column: col.id, descending: !state.sort.descending } : { column: col.id, descending: col.numeric };
      save();
      render();
    };
    th.addEventListener('click', sortBy);
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(); } });
    return th;
  }));
  const body: HTMLElement[] = [];
  for (const { t, f } of rows) {
    const name = tableName(t);
    const open = state.expanded.includes(name);
    const toggle = () => {
      state.expanded = open ? state.expanded.filter((n) => n !== name) : [...state.expanded, name];
      save();
      render();
    };
    const tr = h('tr', { class: `table-row${f.excessRows > 0 ? ' dup' : ''}${f.errors.length ? ' err' : ''}`, attrs: { 'data-table': name, tabindex: '0', 'aria-expanded': String(open) } },
      h('td', { class: 'twisty' }, open ? '▾' : '▸'),
      h('td', { class: 'name' }, name, f.inferred ? (f.confidence === 'lookalike'
        ? h('span', { class: 'badge inferred', title: 'rows that look alike, each referenced separately by other tables: not counted in the totals' }, 'look-alike')
        : h('span', { class: 'badge inferred', title: 'the key was guessed from column names: verify it; not counted in the totals' }, 'guess')) : undefined,
        f.errors.length ? h('span', { class: 'badge error', title: f.errors.join('\n') }, 'error') : undefined),
      h('td', { class: 'num' }, approx(t.rowsEstimated, formatCount(f.rows))),
      h('td', { class: 'num' }, f.inconclusive && !f.duplicateGroups ? 'none found?' : approx(f.estimated, formatEstimate(f.duplicateGroups, f.groupsLow, f.groupsHigh))),
      h('td', { class: 'num' }, f.inconclusive && !f.excessRows ? `up to ${formatCount(f.excessHigh ?? 0)}` : approx(f.estimated, formatEstimate(f.excessRows, f.excessLow, f.excessHigh))),
      h('td', { class: 'num col-percent' }, approx(f.estimated, formatPercent(f.percentExcess))),
      h('td', { class: 'num col-bytes' }, approx(f.estimated, formatBytes(f.reclaimableBytes))),
    );
    tr.addEventListener('click', toggle);
    tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
    body.push(tr);
    if (open) {
      const inner: Child[] = [];
      for (const err of f.errors) inner.push(h('p', { class: 'error' }, err));
      t.checks.forEach((c, i) => inner.push(checkView(t, c, i)));
      for (const n of t.notes ?? []) inner.push(h('p', { class: 'muted' }, n));
      if (!t.checks.length && !f.errors.length) inner.push(h('p', { class: 'muted' }, 'No check applies to this table.'));
      body.push(h('tr', { class: 'detail-row', attrs: { 'data-detail': name } }, h('td', { attrs: { colspan: String(COLUMNS.length + 1) } }, ...inner)));
    }
  }
  return h('table', { class: 'results' }, h('thead', {}, head), h('tbody', {}, ...body));
}

function render(): void {
  const report = state.report;
  // Re-rendering replaces the DOM: the reader's place in it stays where it was.
  const y = document.scrollingElement?.scrollTop ?? 0;
  app.replaceChildren();
  renderInto(report);
  if (document.scrollingElement) document.scrollingElement.scrollTop = y;
}

function renderInto(report: ScanReport | undefined): void {
  // One scan at a time: while one runs, the buttons that would start another wait.
  const wait: Record<string, string> = scanningLabel !== undefined ? { disabled: '', title: 'A scan is running' } : {};
  const header = h('header', { class: 'top' },
    h('div', {}, h('h1', {}, 'Duplicates'), h('div', { class: 'muted' }, scanningLabel !== undefined ? `Scanning ${scanningLabel}…` : state.connection ?? '')),
    report ? h('div', { class: 'actions' },
      button('Rescan', 'secondary', () => post({ command: 'rescan', mode: report.mode }), { 'data-action': 'rescan', ...wait }),
      // the other way of counting: estimates for a database too big to read now, or the exact counts after them
      report.mode === 'exact'
        ? button('Quick estimate', 'secondary', () => post({ command: 'rescan', mode: 'quick' }), { 'data-action': 'rescan-quick', ...wait })
        : button('Exact scan', 'secondary', () => post({ command: 'rescan', mode: 'exact' }), { 'data-action': 'rescan-exact', ...wait }),
    ) : undefined,
  );
  app.append(header);
  if (failure) app.append(h('div', { class: 'banner error' }, failure));
  if (!report) {
    app.append(h('p', { class: 'muted empty' }, scanningLabel !== undefined ? 'The results appear here when the scan finishes.'
      : failure ? 'No results: the scan could not run (see above).' : 'No scan yet: run "Dupguard: Scan DB for duplicates" to count the duplicate rows of a database.'));
    return;
  }
  if (state.note) app.append(h('div', { class: 'banner warn kept' }, state.note));
  else if (!report.complete) {
    app.append(h('div', { class: 'banner warn' }, report.cancelled ? 'The scan was cancelled: the tables below are those finished before.' : 'The scan stopped early: the tables below are those finished before.'));
  }
  app.append(summary(report));
  const rows = sorted(report.tables);
  const c = chart(rows);
  if (c) app.append(c);
  const open = rows.filter((r) => r.f.inconclusive).length;
  if (open) {
    app.append(h('div', { class: 'banner warn' }, `The quick estimate cannot exclude duplicates in ${open} table${open === 1 ? '' : 's'}: no copy was in the sample, but more excess rows than the threshold (dupguard.scan.quickThreshold) could still hide there (run an Exact scan).`));
  }
  if (!c && !open && report.tables.length) {
    app.append(h('div', { class: 'banner good' }, report.mode === 'quick'
      ? 'No copy in the samples, and each estimate rules out duplicates above its threshold.'
      : 'No duplicates found in the scanned tables.'));
  }
  app.append(h('section', {}, h('h2', {}, 'Tables'), rows.length ? resultsTable(rows) : h('p', { class: 'muted empty' }, state.empty ?? 'No table was scanned.')));
  if (report.errors.length) {
    app.append(h('section', { class: 'problems' }, h('h2', {}, 'Problems'), h('ul', {}, ...report.errors.map((e) => h('li', { class: 'error' }, e.message)))));
  }
  if (report.skipped?.length) {
    app.append(h('details', { class: 'skipped' }, h('summary', {}, `${report.skipped.length} relation(s) not scanned`),
      h('ul', {}, ...report.skipped.map((s) => h('li', {}, `${s.schema}.${s.table}: ${s.reason}`)))));
  }
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.command) {
    case 'report': {
      failure = undefined;
      const same = state.identity === m.identity;
      const present = (n: string) => m.report.tables.some((t) => n === tableName(t) || n.startsWith(`${tableName(t)}#`));
      // Another database: nothing of the previous one's view applies. The same one again: keep the sort,
      // the open tables and sample groups still present. Dry-run results belong to the run they were made in.
      state = {
        ...state, report: m.report, connection: m.connection, identity: m.identity, note: m.note, empty: m.empty,
        expanded: same ? state.expanded.filter(present) : [],
        openSamples: same ? (state.openSamples ?? []).filter(present) : [],
        dryRuns: m.note && same ? state.dryRuns : {},
      };
      busy.clear();
      save();
      render();
      break;
    }
    case 'scanning':
      scanningLabel = m.connection;
      failure = undefined;
      if (state.identity !== undefined && state.identity !== m.identity) {
        state = { ...state, report: undefined, connection: undefined, identity: undefined, note: undefined, expanded: [], openSamples: [], dryRuns: {} };
        save();
      }
      render();
      break;
    case 'idle':
      scanningLabel = undefined;
      render();
      break;
    case 'scanFailed':
      scanningLabel = undefined;
      failure = m.message;
      if (m.clear) {
        state = { ...state, report: undefined, connection: undefined, identity: undefined, note: undefined, expanded: [], openSamples: [], dryRuns: {} };
        save();
      }
      render();
      break;
    case 'busy':
      busy.set(checkKey(m.ref), m.what);
      render();
      break;
    case 'actionDone':
      busy.delete(checkKey(m.ref));
      render();
      break;
    case 'dryRunResult':
      state.dryRuns = { ...state.dryRuns, [checkKey(m.ref)]: m.result };
      save();
      render();
      break;
    default: {
      const never: never = m;
      console.warn('dupguard panel: unknown message', never);
    }
  }
});

window.addEventListener('scroll', () => { state.scrollY = document.scrollingElement?.scrollTop ?? 0; save(); }, { passive: true });
render();
if (state.scrollY && document.scrollingElement) document.scrollingElement.scrollTop = state.scrollY;
post({ command: 'ready' });
