/** Columns: which ones order versions of a row, and whether two key column lists are the same key. */
import type { TableDescription, UniqueKey } from '../core/catalog';
import { normalizeSql } from '../core/schema/deparse';

/** Column names that carry an event's version or time: what an upsert must compare before it overwrites. */
const VERSION_NAMES = new Set([
  'version', 'row_version', 'record_version', 'revision', 'rev', 'lsn', 'source_lsn', 'commit_lsn', 'ts_ms', 'source_ts_ms',
  'event_ts', 'event_time', 'event_timestamp', 'occurred_at', 'updated_at', 'modified_at', 'last_modified', 'last_modified_at',
  'last_updated', 'last_updated_at', 'changed_at', 'source_updated_at', 'sequence_number', 'seq_no', 'event_version', 'etag_version',
]);

/** True when a column name says it orders versions of a row (updated_at, version, ts_ms, lsn...). */
export function isVersionColumn(name: string): boolean {
  // camelCase and PascalCase (`"updatedAt"`, `"LastModified"`) spell the same names; the suffix
  // forms (`*_version`) are a snake_case naming habit, so a camelCase name must be one of the names
  // (`"patchVersion"` of a sync protocol is not an event's version)
  if (/[a-z0-9][A-Z]/.test(name)) return VERSION_NAMES.has(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
  const n = name.toLowerCase();
  return VERSION_NAMES.has(n) || /(^|_)(version|lsn|ts_ms)$/.test(n);
}

/** The version-like columns of a known table, in table order. */
export function versionColumns(table: TableDescription | undefined): string[] {
  return (table?.columns ?? []).map((c) => c.name).filter(isVersionColumn);
}

/** True when key columns equal `cols` as sets (expressions compared in canonical form). */
export function sameKeyColumns(key: UniqueKey | string[], cols: string[]): boolean {
  const k = Array.isArray(key) ? key : key.columns;
  // different lengths may still be equal sets (a column named twice): only the plain case is decided here
  if (k.length === cols.length && plainNames(k) && plainNames(cols)) {
    // plain lower-case names are their own canonical form: no normalized copies to make
    for (let i = 0; i < k.length; i++) if (!cols.includes(k[i])) return false;
    for (let i = 0; i < cols.length; i++) if (!k.includes(cols[i])) return false;
    return true;
  }
  const a = k.map(normalizeSql);
  const b = cols.map(normalizeSql);
  return a.length === b.length && a.every((c) => b.includes(c)) && b.every((c) => a.includes(c));
}

/** True when every name is made of a-z, 0-9 and _ only (normalizeSql leaves it as it is). */
function plainNames(names: string[]): boolean {
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    for (let j = 0; j < n.length; j++) {
      const c = n.charCodeAt(j);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) return false;
    }
  }
  return true;
}

