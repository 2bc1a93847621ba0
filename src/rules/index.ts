/**
 * Every rule, in the order findings are produced and documented: a new rule is one line here (and
 * one file beside this one, one page in docs/rules, one test file in test/unit/rules).
 */
import type { Rule } from './rule';
import { copyWithoutResumeStrategy } from './copy-without-resume-strategy';
import { onConflictWithoutTarget } from './on-conflict-without-target';
import { onConflictTargetWithoutUniqueIndex } from './on-conflict-target-without-unique-index';
import { duplicateKeysInValues } from './duplicate-keys-in-values';
import { upsertWithoutOrderingGuard } from './upsert-without-ordering-guard';
import { mergeSourceNotDeduplicated } from './merge-source-not-deduplicated';
import { uniqueKeyAllowsNullDuplicates } from './unique-key-allows-null-duplicates';
import { tableWithoutUniqueKey } from './table-without-unique-key';
import { timestampStagingTableName } from './timestamp-staging-table-name';
import { checkThenInsertRace } from './check-then-insert-race';
import { uniqueConstraintViolatedByData } from './unique-constraint-violated-by-data';
import { unusedSuppression } from './unused-suppression';

export const rules: readonly Rule[] = [
  onConflictWithoutTarget,
  copyWithoutResumeStrategy,
  onConflictTargetWithoutUniqueIndex,
  duplicateKeysInValues,
  upsertWithoutOrderingGuard,
  mergeSourceNotDeduplicated,
  uniqueKeyAllowsNullDuplicates,
  tableWithoutUniqueKey,
  timestampStagingTableName,
  checkThenInsertRace,
  uniqueConstraintViolatedByData,
  unusedSuppression,
];

/** The rule with this id, if any. */
export function ruleById(id: string): Rule | undefined {
  return rules.find((r) => r.id === id);
}
