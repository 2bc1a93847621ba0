/**
 * The messages between the duplicates panel (media/panel.ts, in the webview) and its host
 * (panel.ts, in the extension host). Plain types, no `vscode` import: both ends compile against them
 * and switch on `command`.
 */
import type { ScanReport } from '../../db/report';

/** Which check of which table a button acts on. */
export interface CheckRef {
  schema: string;
  table: string;
  /** Index into the table's `checks`. */
  check: number;
}

/** What a dry run reported, in the form the panel shows. */
export interface DryRunView {
  ok: boolean;
  /** One line per figure, e.g. "rows before: 27 000". */
  lines: string[];
  error?: string;
}

/** A summary of what the webview drew: the tests read it, the host logs nothing from it. */
export interface RenderedSummary {
  /** One entry per line of the results table, in display order: the table's name, then its figure cells. */
  rows: { name: string; cells: string[] }[];
  /** Bars of the chart: label and value. */
  bars: { label: string; value: string }[];
  sort: { column: SortColumn; descending: boolean };
  expanded: string[];
  /** Banners shown above the results (scan failed, cancelled, stopped early, no duplicates). */
  banners: string[];
  /** Dry-run results shown, by check key: the first line of each. */
  dryRuns: Record<string, string>;
  /** The summary cards, as `value label` (e.g. `1.2 s quick scan`). */
  stats: string[];
  /** The header's buttons, by label. */
  buttons: string[];
}

export type SortColumn = 'table' | 'rows' | 'groups' | 'excess' | 'percent' | 'bytes';

/** Host → webview. */
export type ToWebview =
  | { command: 'report'; report: ScanReport; connection: string }
  | { command: 'scanning'; connection: string }
  /** The scan could not run (connection refused, bad password...): the previous results stay. */
  | { command: 'scanFailed'; message: string }
  | { command: 'busy'; ref: CheckRef; what: string }
  | { command: 'dryRunResult'; ref: CheckRef; result: DryRunView }
  | { command: 'actionDone'; ref: CheckRef }
  /** Test hook: click the element matching `selector` as a user would, then report what was drawn. */
  | { command: 'testClick'; selector: string }
  | { command: 'testReport' };

/** Webview → host. */
export type FromWebview =
  | { command: 'ready' }
  | { command: 'generateMigration'; ref: CheckRef }
  | { command: 'dryRun'; ref: CheckRef }
  | { command: 'copyQuery'; ref: CheckRef }
  /** Scan again: `mode` is the report's own for Rescan, the other one for Quick estimate / Exact scan. */
  | { command: 'rescan'; mode: 'exact' | 'quick' }
  | { command: 'rendered'; summary: RenderedSummary }
  | { command: 'testClicked'; selector: string; found: boolean };

/** The webview's persisted state (getState/setState): it survives hide/show and reloads. */
export interface PanelState {
  report?: ScanReport;
  connection?: string;
  sort: { column: SortColumn; descending: boolean };
  expanded: string[];
  dryRuns: Record<string, DryRunView>;
}

/** Stable key of a check for state maps. */
export function checkKey(ref: CheckRef): string {
  return `${ref.schema}.${ref.table}#${ref.check}`;
}
