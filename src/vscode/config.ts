/** Typed reader for the `dupguard.*` settings: one getter per setting, defaults match package.json. */
import * as vscode from 'vscode';
import { EXCLUDE_GLOBS, INCLUDE_GLOB } from '../core/languages';
import type { AnalyzerConfig } from '../core/types';
import type { Severity } from '../core/types';
import type { SslMode } from '../db/connect';

export const SECTION = 'dupguard';

export type RuleSetting = Severity | 'off';

/** A saved database connection. Passwords are never stored here: libpq's PGPASSWORD / ~/.pgpass apply. */
export interface ConnectionProfile {
  name: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  /** A libpq connection URI without password, instead of the fields above. */
  url?: string;
  sslmode?: SslMode;
  /** Only these schemas are scanned. */
  schemas?: string[];
}

/** The defaults of `include` and `exclude` (package.json repeats them): core/languages.ts's extensions and skipped folders. */
export const DEFAULT_INCLUDE = [INCLUDE_GLOB];
export const DEFAULT_EXCLUDE = [...EXCLUDE_GLOBS];

const SEVERITIES: readonly string[] = ['error', 'warning', 'info', 'off'];

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
}

/** Settings as seen from one resource (its workspace folder's settings win over the user's). */
export class Config {
  private readonly c: vscode.WorkspaceConfiguration;

  constructor(scope?: vscode.ConfigurationScope) {
    this.c = vscode.workspace.getConfiguration(SECTION, scope);
  }

  get enable(): boolean {
    return this.c.get<boolean>('enable', true) !== false;
  }

  /** Rule id → severity or 'off'; unknown values are dropped rather than passed on. */
  get rules(): Record<string, RuleSetting> {
    const raw = this.c.get<Record<string, unknown>>('rules', {}) ?? {};
    const out: Record<string, RuleSetting> = {};
    for (const [rule, v] of Object.entries(raw)) if (typeof v === 'string' && SEVERITIES.includes(v)) out[rule] = v as RuleSetting;
    return out;
  }

  /** Extra template tags whose templates are SQL (added to the analyzer's defaults). */
  get embeddedTags(): string[] | undefined {
    return stringList(this.c.get('embedded.tags'));
  }

  /** Extra query functions whose string arguments are SQL. */
  get embeddedFunctions(): string[] | undefined {
    return stringList(this.c.get('embedded.functions'));
  }

  /** Lint SQL that is never executed (expected output of tests, parser input): only when turned on here; `.dupguard.json` may turn it on too. */
  get embeddedExpectedOutput(): boolean {
    return this.c.get<boolean>('embedded.expectedOutput', false) === true;
  }

  /** `schema.table` → natural key columns. */
  get naturalKeys(): Record<string, string[]> {
    const raw = this.c.get<Record<string, unknown>>('naturalKeys', {}) ?? {};
    const out: Record<string, string[]> = {};
    for (const [t, cols] of Object.entries(raw)) {
      const list = stringList(cols);
      if (list && list.length) out[t] = list;
    }
    return out;
  }

  get include(): string[] {
    const v = stringList(this.c.get('include'));
    return v && v.length ? v : DEFAULT_INCLUDE;
  }

  get exclude(): string[] {
    return stringList(this.c.get('exclude')) ?? DEFAULT_EXCLUDE;
  }

  /** How "Scan DB for duplicates" counts: every row, or statistics and a sample. */
  /** Where generated dedup migrations go (dupguard.migrations.folder), relative to the workspace folder; undefined: beside the migration that asked, else `migrations`. */
  get migrationsFolder(): string | undefined {
    const v = this.c.get<string>('migrations.folder');
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  }

  get scanMode(): 'exact' | 'quick' {
    return this.c.get<string>('scan.mode') === 'quick' ? 'quick' : 'exact';
  }

  /** Quick estimates: the share of a check's rows (0..1) its interval must rule out to call it clean; from dupguard.scan.quickThreshold, in percent. */
  get quickThreshold(): number {
    const v = this.c.get<number>('scan.quickThreshold');
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? v / 100 : 0.001;
  }

  get connections(): ConnectionProfile[] {
    const raw = this.c.get<unknown[]>('connections', []) ?? [];
    return raw.filter((p): p is ConnectionProfile => !!p && typeof p === 'object' && typeof (p as ConnectionProfile).name === 'string');
  }

  /** The part of the settings the analyzer reads. */
  analyzer(): AnalyzerConfig {
    const cfg: AnalyzerConfig = { rules: this.rules, naturalKeys: this.naturalKeys };
    const tags = this.embeddedTags;
    const functions = this.embeddedFunctions;
    if (tags || functions) cfg.embedded = { tags, functions };
    if (this.embeddedExpectedOutput) cfg.embedded = { ...cfg.embedded, expectedOutput: true };
    return cfg;
  }
}

/** True when a configuration change concerns dupguard (for `resource` when given). */
export function affectsDupguard(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
