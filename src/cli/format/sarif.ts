/**
 * `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. One run, the rules that can fire
 * listed under tool.driver.rules with their docs (helpUri), one result per finding with a
 * physicalLocation relative to %SRCROOT% (the working directory), and fixes when the rule offers them.
 */
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import type { Severity } from '../../core/types';
import type { LintReport, ReportFinding, RuleInfo } from './report';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, Sarif.ReportingConfiguration.level> = { error: 'error', warning: 'warning', info: 'note' };

export interface SarifOptions {
  rules: readonly RuleInfo[];
  toolVersion: string;
  informationUri: string;
  /** Absolute folder the report's relative paths start from. */
  cwd: string;
}

export function formatSarif(report: LintReport, options: SarifOptions): string {
  return `${JSON.stringify(buildSarif(report, options), null, 2)}\n`;
}

/** The SARIF log as an object (tests check its structure). */
export function buildSarif(report: LintReport, options: SarifOptions): Sarif.Log {
  const known = new Map(options.rules.map((r) => [r.id, r]));
  // Rules that fired but are not in the list (should not happen) still get an entry.
  for (const f of report.files) {
    for (const x of f.findings) {
      if (!known.has(x.rule)) known.set(x.rule, { id: x.rule, description: x.rule, docs: options.informationUri, severity: x.severity });
    }
  }
  const ruleList = [...known.values()];
  const ruleIndex = new Map(ruleList.map((r, i) => [r.id, i]));
  const srcroot = pathToFileURL(options.cwd.endsWith('/') ? options.cwd : `${options.cwd}/`).href;
  const results = report.files.flatMap((f) => f.findings.map((x) => result(f.path, x, ruleIndex.get(x.rule)!)));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dupguard',
            version: options.toolVersion,
            semanticVersion: options.toolVersion,
            informationUri: options.informationUri,
            rules: ruleList.map((r) => ({
              id: r.id,
              name: pascal(r.id),
              shortDescription: { text: r.description },
              fullDescription: { text: r.description },
              helpUri: r.docs,
              help: { text: `${r.description} See ${r.docs}`, markdown: `${r.description} [Documentation](${r.docs})` },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: srcroot } },
        artifacts: report.files.map((f) => ({ location: { uri: uri(f.path), uriBaseId: '%SRCROOT%' } })),
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

function result(path: string, x: ReportFinding, ruleIndex: number): Sarif.Result {
  const artifactLocation = { uri: uri(path), uriBaseId: '%SRCROOT%' };
  const r: Sarif.Result = {
    ruleId: x.rule,
    ruleIndex,
    level: LEVEL[x.severity],
    message: { text: x.message },
    locations: [{ physicalLocation: { artifactLocation, region: region(x) } }],
  };
  if (x.related?.length) {
    r.relatedLocations = x.related.map((rel, id) => ({
      id,
      message: { text: rel.message },
      physicalLocation: { artifactLocation: { uri: uri(rel.path), uriBaseId: '%SRCROOT%' }, region: region(rel) },
    }));
  }
  if (x.fixes.length) {
    r.fixes = x.fixes.map((fx) => ({
      description: { text: fx.title },
      artifactChanges: [
        {
          artifactLocation,
          replacements: fx.edits.map((e) => ({ deletedRegion: region(e), insertedContent: { text: e.newText } })),
        },
      ],
    }));
  }
  return r;
}

function region(x: { line: number; column: number; endLine: number; endColumn: number }): Sarif.Region {
  return { startLine: x.line, startColumn: x.column, endLine: x.endLine, endColumn: x.endColumn };
}

/** A relative path as a URI reference: each segment percent-encoded (spaces, `#`, `?`). */
function uri(p: string): string {
  return p.split('/').map((s) => (s === '..' || s === '.' ? s : encodeURIComponent(s))).join('/');
}

function pascal(id: string): string {
  return id.split(/[-_]/).map((w) => (w ? w[0].toUpperCase() + w.slice(1) : '')).join('');
}
