/**
 * eslint-plugin-dupguard: dupguard's checks of SQL embedded in TypeScript/JavaScript as ESLint rules,
 * one per dupguard rule with the same id and message. The preferred fix is the ESLint fix (`--fix`,
 * fix-on-save); the other fixes are suggestions. The analyzer runs once per file for all the rules.
 */
import type { ESLint, Linter, Rule, SourceCode } from 'eslint';
import { findingsFor, loadParser, plainFix, RULES, type Finding, type Fix } from './engine';

const PLUGIN = 'dupguard';

/** One analysis per linted text, shared by every dupguard rule that runs on it. */
const analyses = new WeakMap<SourceCode, Finding[]>();

function findings(context: Rule.RuleContext): Finding[] {
  const source = context.sourceCode;
  let found = analyses.get(source);
  if (!found) {
    found = findingsFor(source.text, context.filename, context.cwd);
    analyses.set(source, found);
  }
  return found;
}

function toEslintFix(fix: Fix): Rule.ReportFixer {
  const plain = plainFix(fix);
  return (fixer) => plain.edits.map((e) => fixer.replaceTextRange([e.start, e.end], e.newText));
}

function makeRule(id: string, description: string, url: string): Rule.RuleModule {
  return {
    meta: {
      type: 'problem',
      docs: { description, url },
      fixable: 'code',
      hasSuggestions: true,
      schema: [],
    },
    create(context) {
      return {
        Program() {
          const source = context.sourceCode;
          for (const f of findings(context)) {
            if (f.rule !== id) continue;
            // The preferred fix is applied unattended only when it needs no name typed in.
            const preferred = f.fixes.find((x) => x.preferred && !x.snippet && x.edits.length);
            const suggestions = f.fixes.filter((x) => x !== preferred && x.edits.length);
            context.report({
              message: f.message,
              loc: { start: source.getLocFromIndex(f.start), end: source.getLocFromIndex(Math.max(f.start, f.end)) },
              fix: preferred ? toEslintFix(preferred) : undefined,
              suggest: suggestions.map((x) => ({ desc: x.title, fix: toEslintFix(x) })),
            });
          }
        },
      };
    },
  };
}

const rules: Record<string, Rule.RuleModule> = {};
for (const r of RULES) rules[r.id] = makeRule(r.id, r.description, r.docs);

const version: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** dupguard's default severities: error for what is certain, warn for the rest (ESLint has no info). */
const recommendedRules: Linter.RulesRecord = {};
for (const r of RULES) recommendedRules[`${PLUGIN}/${r.id}`] = r.severity === 'error' ? 'error' : 'warn';

interface DupguardPlugin extends ESLint.Plugin {
  configs: { recommended: Linter.Config };
  /** Resolves once PostgreSQL's grammar is loaded; the ESM entry awaits it before exporting. */
  ready(): Promise<void>;
}

const plugin: DupguardPlugin = {
  meta: { name: 'eslint-plugin-dupguard', version },
  rules,
  configs: { recommended: { name: 'dupguard/recommended', plugins: {}, rules: recommendedRules } },
  ready: loadParser,
};
plugin.configs.recommended.plugins = { [PLUGIN]: plugin };

// Loading starts at once; `import` waits for it (index.mjs), `require` users may await `ready()`.
void loadParser();

export = plugin;
