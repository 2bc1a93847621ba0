/** Which VS Code language ids dupguard reads, and as what. Pure: no `vscode` import (the bench uses it). */
import type { SourceLanguage } from '../core/analyze';

/** SQL language ids: VS Code's own plus those SQL extensions contribute. */
export const SQL_LANGUAGE_IDS = ['sql', 'pgsql', 'postgres', 'postgresql', 'psql'] as const;
export const SCRIPT_LANGUAGE_IDS = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'] as const;
export const LANGUAGE_IDS: readonly string[] = [...SQL_LANGUAGE_IDS, ...SCRIPT_LANGUAGE_IDS];

/** The analyzer language for an editor language id, or undefined when dupguard does not read it. */
export function sourceLanguage(languageId: string): SourceLanguage | undefined {
  if ((SQL_LANGUAGE_IDS as readonly string[]).includes(languageId)) return 'sql';
  if ((SCRIPT_LANGUAGE_IDS as readonly string[]).includes(languageId)) return languageId as SourceLanguage;
  return undefined;
}

/** How a line comment starts in that language (for ignore comments). */
export function lineComment(language: SourceLanguage): string {
  return language === 'sql' ? '--' : '//';
}
