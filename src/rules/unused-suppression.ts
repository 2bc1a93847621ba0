/**
 * A `dupguard-ignore` comment that silences nothing, or names a rule that does not exist: it hides
 * the next finding someone introduces there, or was meant to silence a rule spelled otherwise.
 */
import { removalEdit, type Suppression } from '../core/suppress';
import type { AnalyzerConfig } from '../core/types';
import { docsUrl, type Rule } from './rule';

const ID = 'unused-suppression';

/** The rule ids a suppression names that silenced no finding ('*' for a bare comment that silenced none). */
function unusedRules(s: Suppression, config: AnalyzerConfig, unjudged: readonly string[]): string[] {
  if (s.rules.length === 0) return s.used.size ? [] : ['*'];
  // A rule turned off in config has nothing to silence: its suppression is not "unused"; nor is one
  // whose findings need the live database when this analysis had none.
  return s.rules.filter((id) => !s.used.has(id) && config.rules?.[id] !== 'off' && !unjudged.includes(id));
}

/** dupguard-ignore comments that silence nothing or name an unknown rule. */
export const unusedSuppression: Rule = {
  id: ID,
  severity: 'info',
  description: 'A dupguard-ignore comment that silences nothing (or names an unknown rule).',
  docs: docsUrl(ID),
  reads: [],
  suppressions(ctx) {
    const known = ctx.knownRules.filter((id) => id !== ID);
    for (const s of ctx.suppressions) {
      const unused = unusedRules(s, ctx.config, ctx.unjudged ?? []);
      if (unused.length === 0) continue;
      const unknown = unused.filter((id) => id !== '*' && id !== ID && !ctx.knownRules.includes(id));
      const message = unknown.length
        ? `Unknown rule ${unknown.map((u) => `'${u}'`).join(', ')} in this dupguard-ignore comment; known rules: ${known.join(', ')}.`
        : s.rules.length === 0 || unused.length === s.rules.length
          ? `This dupguard-ignore comment silences nothing: no ${s.rules.length ? unused.join(', ') : 'dupguard'} finding ${s.file ? 'in this file' : 'in the statement after it'}.`
          : `This dupguard-ignore comment does not silence ${unused.join(', ')}: no such finding ${s.file ? 'in this file' : 'in the statement after it'}.`;
      ctx.report({
        start: s.comment.start,
        end: s.comment.end,
        message,
        fixes: [{ title: 'Remove this dupguard-ignore comment', edits: [removalEdit(ctx.text, s.comment)], preferred: true }],
      });
    }
  },
};
