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

export type SortColumn = 'table' | 'rows' | 'groups' | 'excess' | 'percent' | 'bytes';

/** Host → webview. */
export type ToWebview =
  /**
   * `identity` tells databases apart (switching clears what belonged to the other); `note` marks
   * results kept from before (a cancelled rescan); `empty` says why no table was scanned.
   */
  | { command: 'report'; report: ScanReport; connection: string; identity: string; note?: string; empty?: string }
  | { command: 'scanning'; connection: string; identity: string }
  | { command: 'idle' }
  /** The scan could not run (connection refused, bad password...); `clear`: the results shown were another database's. */
  | { command: 'scanFailed'; message: string; clear: boolean }
  | { command: 'busy'; ref: CheckRef; what: string }
  | { command: 'dryRunResult'; ref: CheckRef; result: DryRunView }
  | { command: 'actionDone'; ref: CheckRef };

/** Webview → host. */
export type FromWebview =
  | { command: 'ready' }
  | { command: 'generateMigration'; ref: CheckRef }
  | { command: 'dryRun'; ref: CheckRef }
  | { command: 'copyQuery'; ref: CheckRef }
  /** Scan again: `mode` is the report's own for Rescan, the other one for Quick estimate / Exact scan. */
  | { command: 'rescan'; mode: 'exact' | 'quick' };

/** The webview's persisted state (getState/setState): it survives hide/show and reloads. */
export interface PanelState {
  report?: ScanReport;
  connection?: string;
  sort: { column: SortColumn; descending: boolean };
  expanded: string[];
  dryRuns: Record<string, DryRunView>;
  /** The database the results are from (see ToWebview `report`). */
  identity?: string;
  note?: string;
  empty?: string;
  /** Checks whose sample groups are open. */
  openSamples?: string[];
  /** Scroll offset, kept across re-renders and reloads. */
  scrollY?: number;
}

/** Stable key of a check for state maps. */
export function checkKey(ref: CheckRef): string {
  return `${ref.schema}.${ref.table}#${ref.check}`;
}
