/**
 * The small argument parser every `dupguard` command shares. Declarative: a command lists its flags,
 * gets typed values back, and wrong input becomes a UsageError (exit 2) with a message that names the
 * flag. Supports `--flag value`, `--flag=value`, `-f value`, booleans (`--quiet`, `--quiet=false`,
 * `--no-quiet`), repeated flags (`multiple: true`), choices, numbers, positionals and `--`.
 *
 *   const spec = { format: { type: 'string', choices: ['text', 'json'], default: 'text', short: 'f' },
 *                  key: { type: 'string', multiple: true }, quiet: { type: 'boolean' } } as const;
 *   const { flags, positionals } = parseArgs(argv, spec);   // flags.format: string, flags.key: string[]
 */

export type FlagType = 'string' | 'boolean' | 'number';

export interface FlagSpec {
  type: FlagType;
  /** May be given several times; the value is then an array in the order given. */
  multiple?: boolean;
  /** One-letter alias, without the dash: `f` for `-f`. */
  short?: string;
  /** Allowed values (string flags). */
  choices?: readonly string[];
  /** Value when the flag is absent (not used for `multiple`, whose absent value is []). */
  default?: string | number | boolean;
  /** Shown after the value name in help: `--format <text|json>`. */
  valueName?: string;
  /** One line for `formatHelp`. */
  description?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type Scalar<S extends FlagSpec> = S['type'] extends 'boolean' ? boolean : S['type'] extends 'number' ? number : string;

/** Typed values: arrays for `multiple`, present-typed for flags with a default or booleans, else possibly undefined. */
export type FlagValues<T extends FlagSpecs> = {
  -readonly [K in keyof T]: T[K]['multiple'] extends true
    ? Scalar<T[K]>[]
    : T[K]['type'] extends 'boolean'
      ? boolean
      : T[K] extends { default: string | number | boolean }
        ? Scalar<T[K]>
        : Scalar<T[K]> | undefined;
};

export interface ParsedArgs<T extends FlagSpecs> {
  flags: FlagValues<T>;
  positionals: string[];
  /** Names of the flags the user actually gave (to tell defaults from explicit values). */
  given: Set<keyof T & string>;
}

/** Wrong command-line usage: the message is meant for the user as is; commands exit 2 on it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses argv (without the command name) against `spec`. Throws UsageError on any wrong input. */
export function parseArgs<const T extends FlagSpecs>(argv: readonly string[], spec: T): ParsedArgs<T> {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) {
    if (s.short) byShort.set(s.short, name);
    if (s.multiple) values[name] = [];
    else if (s.default !== undefined) values[name] = s.default;
    else if (s.type === 'boolean') values[name] = false;
  }

  const set = (name: string, shown: string, raw: string | undefined): void => {
    const s = spec[name];
    let v: string | number | boolean;
    if (s.type === 'boolean') {
      if (raw === undefined || raw === 'true') v = true;
      else if (raw === 'false') v = false;
      else throw new UsageError(`option '${shown}' is a switch: use '${shown}' or '${shown}=false', not '${shown}=${raw}'`);
    } else {
      if (raw === undefined) throw new UsageError(`option '${shown}' needs a value${hint(s)}`);
      if (s.type === 'number') {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`option '${shown}' needs a number, got '${raw}'`);
        v = n;
      } else {
        if (s.choices && !s.choices.includes(raw)) {
          throw new UsageError(`option '${shown}' must be one of ${s.choices.join(', ')} (got '${raw}')`);
        }
        v = raw;
      }
    }
    given.add(name);
    if (s.multiple) (values[name] as unknown[]).push(v);
    else values[name] = v;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      let shown = `--${name}`;
      if (!Object.prototype.hasOwnProperty.call(spec, name) && name.startsWith('no-') && Object.prototype.hasOwnProperty.call(spec, name.slice(3)) && spec[name.slice(3)].type === 'boolean' && inline === undefined) {
        name = name.slice(3);
        given.add(name);
        values[name] = false;
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(spec, name)) throw unknown(shown, spec);
      shown = `--${name}`;
      if (spec[name].type === 'boolean' || inline !== undefined) {
        set(name, shown, inline);
      } else {
        const next = argv[i + 1];
        // A following `--flag` is the user forgetting the value, not a value (`--format --quiet`).
        set(name, shown, next === undefined || next.startsWith('--') ? undefined : next);
        i++;
      }
      continue;
    }
    if (arg.length > 1 && arg.startsWith('-') && !/^-\d/.test(arg)) {
      // `-f value`, `-fvalue`, `-q`; clusters of switches (`-qv`) are not worth the ambiguity.
      const name = byShort.get(arg[1]);
      if (name === undefined) throw unknown(arg.slice(0, 2), spec);
      const shown = `-${arg[1]}`;
      if (spec[name].type === 'boolean') {
        if (arg.length > 2) throw new UsageError(`option '${shown}' is a switch and takes no value ('${arg}')`);
        set(name, shown, undefined);
      } else if (arg.length > 2) {
        set(name, shown, arg[2] === '=' ? arg.slice(3) : arg.slice(2));
      } else {
        const next = argv[i + 1];
        set(name, shown, next === undefined || next.startsWith('--') ? undefined : next);
        i++;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { flags: values as FlagValues<T>, positionals, given: given as Set<keyof T & string> };
}

/** Aligned help lines for the flags, one per flag, from their descriptions. */
export function formatHelp(spec: FlagSpecs): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const value = s.type === 'boolean' ? '' : ` <${s.valueName ?? s.choices?.join('|') ?? (s.type === 'number' ? 'n' : 'value')}>`;
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${value}`;
    const extra = [s.multiple ? 'repeatable' : '', s.default !== undefined && s.type !== 'boolean' ? `default ${s.default}` : '']
      .filter(Boolean).join(', ');
    return [left, [s.description ?? '', extra ? `(${extra})` : ''].filter(Boolean).join(' ')] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`.trimEnd()).join('\n');
}

function hint(s: FlagSpec): string {
  return s.choices ? ` (one of ${s.choices.join(', ')})` : '';
}

function unknown(shown: string, spec: FlagSpecs): UsageError {
  const names = Object.keys(spec).map((n) => `--${n}`);
  const close = names
    .map((n) => [n, editDistance(n, shown)] as const)
    .filter(([, d]) => d <= 2)
    .sort((a, b) => a[1] - b[1])[0];
  const suggestion = close ? ` (did you mean '${close[0]}'?)` : '';
  const known = names.length ? `; known options: ${names.join(', ')}` : '';
  return new UsageError(`unknown option '${shown}'${suggestion}${known}`);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
