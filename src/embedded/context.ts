/**
 * Is an embedded SQL literal executed, or only a value a test compares against / a parser reads?
 * Decided by the syntax around the literal (the call, matcher, assertion or object key it sits in,
 * and one hop through a `const name = <literal>` binding to the name's uses), never by the file name:
 * being in a test file only makes the weaker readings (a `sql:` / `expected:` key in a test table)
 * count, it never decides alone.
 */
import { DEFAULT_FUNCTIONS } from './extract';
import { hostTokens, identifierIndex, isId, isLiteral, isPunct, literalStart, memberChainAt, tokenAt, tokText, type HostTokens } from './host-tokens';

/**
 * executed: run against a database (or nothing says otherwise: 'unknown' is treated the same);
 * expected-output: a value a test compares output against (matchers, assertions, expected keys, mocks);
 * parser-input: handed to a SQL parser, formatter or describer, not to a client;
 * test-title: the name of a test case.
 */
export type ExecutionKind = 'executed' | 'expected-output' | 'parser-input' | 'test-title' | 'unknown';

export type EvidenceStrength = 'strong' | 'moderate' | 'weak';

export interface ExecutionEvidence {
  /** The reading this piece of evidence supports. */
  kind: ExecutionKind;
  strength: EvidenceStrength;
  /** Plain words for a message or a log: "argument of expect(...).toEqual". */
  reason: string;
  /** Host offset of the token that decided (the callee, the key, the binding). */
  at: number;
}

export interface ExecutionContext {
  kind: ExecutionKind;
  /** What decided `kind` first, then anything else seen on the way (most specific first). */
  evidence: ExecutionEvidence[];
  /** The host reads as a test file (test framework calls or imports; the path when given). */
  testFile: boolean;
}

/** True when findings on the region should be reported by default (`embedded.expectedOutput: "report"` overrides). */
export function isExecuted(ctx: ExecutionContext): boolean {
  return ctx.kind === 'executed' || ctx.kind === 'unknown';
}

/** Host-wide facts the classifier reuses for every region of one file. */
export interface HostContext {
  tokens: HostTokens;
  testFile: boolean;
  /** Extra query function names (the user's `embedded.functions`). */
  functions: ReadonlySet<string>;
}

const TEST_IMPORTS = /^(?:vitest|jest|@jest\/globals|mocha|ava|node:test|tap|uvu|chai|bun:test|@playwright\/test|assert|node:assert(?:\/strict)?)$/;
const TEST_CALLS = new Set(['describe', 'it', 'test', 'suite', 'context', 'beforeEach', 'beforeAll', 'afterEach', 'afterAll', 'before', 'after']);
const TEST_PATH = /(?:^|[/\\])(?:__tests__|tests?|spec)[/\\]|\.(?:test|spec|e2e)\.[cm]?[jt]sx?$/i;

/** Builds the per-file context once; `path` only adds evidence of a test file, it never decides a region. */
export function hostContext(text: string, options?: { path?: string; jsx?: boolean; functions?: readonly string[]; tokens?: HostTokens }): HostContext {
  const tokens = options?.tokens ?? hostTokens(text, options?.jsx ?? false);
  return {
    tokens,
    testFile: looksLikeTestFile(tokens, options?.path),
    functions: new Set([...DEFAULT_FUNCTIONS, ...EXTRA_EXECUTORS, ...(options?.functions ?? [])]),
  };
}

function looksLikeTestFile(t: HostTokens, path?: string): boolean {
  if (path && TEST_PATH.test(path)) return true;
  let calls = 0;
  for (let i = 0; i < t.kinds.length; i++) {
    if (t.kinds[i] === 'str' && (isId(t, i - 1, 'from') || (isPunct(t, i - 1, '(') && isId(t, i - 2, 'require')))) {
      if (TEST_IMPORTS.test(tokText(t, i).slice(1, -1))) return true;
    }
    // A top-level `describe(` / `it(` / `test(` call whose first argument is a literal title.
    if (t.kinds[i] === 'id' && TEST_CALLS.has(tokText(t, i)) && isPunct(t, i + 1, '(') && isLiteral(t, i + 2) && !isPunct(t, i - 1, '.')) {
      if (++calls >= 2) return true;
    }
  }
  return false;
}

/** Executors beyond the extractor's query functions (SQLite/MySQL/Knex/Sequelize/TypeORM clients run SQL too). */
const EXTRA_EXECUTORS = ['run', 'all', 'get', 'prepare', 'queryRaw', 'executeRaw', 'queryRawUnsafe', 'executeRawUnsafe', 'sql', 'command', 'insert', 'exec', 'batch', 'transaction'];

const MATCHERS = new Set([
  'toBe', 'toEqual', 'toStrictEqual', 'toMatch', 'toContain', 'toContainEqual', 'toMatchInlineSnapshot', 'toMatchSnapshot', 'toMatchObject',
  'toHaveBeenCalledWith', 'toHaveBeenLastCalledWith', 'toHaveBeenNthCalledWith', 'toBeCalledWith', 'lastCalledWith', 'nthCalledWith',
  'toThrow', 'toThrowError', 'toHaveProperty', 'toStartWith', 'toEndWith', 'toInclude',
]);
/** node:assert / chai assert / ava `t.` / tap `t.` comparison methods (the first argument is the actual value). */
const ASSERTIONS = new Set([
  'equal', 'strictEqual', 'deepEqual', 'deepStrictEqual', 'notEqual', 'notStrictEqual', 'match', 'doesNotMatch', 'is', 'not', 'like', 'regex',
  'include', 'includes', 'sameMembers', 'same', 'strictSame', 'matchSnapshot', 'snapshot', 'eq', 'eql', 'contains',
]);
const ASSERT_ROOTS = new Set(['assert', 't', 'tap', 'test', 'expect', 'should', 'chai']);
/** chai's BDD chain: `expect(x).to.equal(...)`, `x.should.eql(...)`. */
const CHAI_LINKS = /\.(?:to|be|been|is|that|which|and|has|have|with|at|of|same|but|does|still|deep|not|should)\./;
/** Functions whose SQL argument is an expected value: expectSql(actual, expected), assertSql, compareSql, sameSql. */
const EXPECT_SQL = /^(?:expect|assert|check|compare|verify|same|match|equal)_?(?:sql|query|queries|statements?)/i;
/** A parser, describer or formatter of SQL text (not a client): parse(sql), parser.astify(sql), describeQuery(client, sql). */
const PARSERS = /^(?:parse\w*|astify|sqlify|tokeni[sz]e\w*|lex\w*|describe\w+|format(?:Sql|Query|Dialect)\w*|prettify\w*|highlight\w*|normali[sz]e\w*|split(?:Sql|Query|Statements)\w*|minify\w*|validate\w*|analy[sz]e(?:Sql|Query)\w*|getTableList|tableList|columnList|whiteListCheck)$/;
/** Test doubles: what a mock returns or expects is never executed. */
const MOCKS = /mock|fake|stub|spy|^createTest(?:Pool|Client|Db|Database|Connection)/i;

/** Keys whose value is an expected result wherever they appear. */
const EXPECTED_KEYS = /^(?:expected\w*|expectation|expect|output|want|wanted|result|results|snapshot|toSQL|sqlExpected|expectedSql|expectSql)$/;
/** Keys whose value is SQL text: expected output only inside a test table (an array of objects) in a test file. */
const SQL_KEYS = /^(?:sql|query|text|statement|compiled|raw)$/;
/** Binding names that say the value is expected output. */
const EXPECTED_NAMES = /^(?:expected|expectation|expect(?=[A-Z_]))|(?:Expected|Expectation)$|^(?:want|wanted)\b/;

interface Reading {
  kind: ExecutionKind;
  evidence: ExecutionEvidence[];
}

/**
 * The execution context of one embedded SQL region, given the host offsets of its literal (`hostStart`
 * is an offset inside the first literal: EmbeddedSql.hostStart). Never throws: 'unknown' when unsure.
 */
export function classifyExecution(host: HostContext, hostStart: number): ExecutionContext {
  try {
    const t = host.tokens;
    const i = tokenAt(t, hostStart);
    if (i < 0 || !isLiteral(t, i)) return { kind: 'unknown', evidence: [], testFile: host.testFile };
    const lit = literalStart(t, i);
    const start = expressionStart(t, lit);
    // A tagged template is itself a call (postgres.js, PGlite and Effect run it when awaited): as the
    // subject of expect(...) it is executed, not a value under test.
    const r = readAround(host, start, 0, start !== lit);
    return { kind: r.kind, evidence: r.evidence, testFile: host.testFile };
  } catch {
    return { kind: 'unknown', evidence: [], testFile: host.testFile };
  }
}

/** The first token of the expression the literal at token i heads: its tag (`sql\``, `Prisma.sql\``), else i. */
function expressionStart(t: HostTokens, i: number): number {
  if ((t.kinds[i] === 'tpl' || t.kinds[i] === 'tplHead') && isId(t, i - 1)) return memberChainAt(t, i - 1).first;
  return i;
}

/**
 * Climbs from the expression at token s through the brackets around it until a call, a matcher, a
 * key or a binding decides. `hop` limits the one-hop look at a binding's uses.
 */
function readAround(host: HostContext, s: number, hop: number, tagged = false): Reading {
  const t = host.tokens;
  const evidence: ExecutionEvidence[] = [];
  let cur = s;
  let throughCall = tagged;
  let inArrayOfObjects = false;
  let objectKey: { key: string; at: number } | undefined;
  for (let depth = 0; depth < 12; depth++) {
    // `const name = <expr>` (possibly `: Type`): look at the name and, once, at its uses.
    const binding = bindingOf(t, cur);
    if (binding) {
      const r = bindingReading(host, binding, evidence, hop);
      if (r.kind !== 'unknown') return r;
      break;
    }
    const open = t.parent[cur];
    if (open < 0) break;
    const openText = tokText(t, open);
    if (t.kinds[open] === 'tplHead' || t.kinds[open] === 'tplMiddle') {
      // Inside `${...}` of another template: the enclosing template's use decides.
      cur = expressionStart(t, literalStart(t, open));
      continue;
    }
    if (openText === '{') {
      const key = keyBefore(t, cur);
      if (key && !objectKey) objectKey = { key, at: t.starts[cur - 2] };
      if (!isObjectLiteral(t, open)) break;
      cur = open;
      continue;
    }
    if (openText === '[') {
      if (objectKey) inArrayOfObjects = true;
      if (isId(t, open - 1) || isPunct(t, open - 1, ')') || isPunct(t, open - 1, ']')) break; // an index, not an array
      cur = open;
      continue;
    }
    if (openText !== '(') break;
    const callee = calleeOf(t, open);
    if (!callee) {
      // Parenthesized expression or arrow parameters: keep climbing.
      cur = open;
      continue;
    }
    const argIndex = argumentIndex(t, open, cur);
    const d = decideCall(host, callee, argIndex, throughCall);
    if (d) {
      evidence.push(d);
      return finish(d.kind, evidence, objectKey, inArrayOfObjects, host);
    }
    throughCall = true;
    cur = callee.first;
  }
  return finish('unknown', evidence, objectKey, inArrayOfObjects, host);
}

function finish(kind: ExecutionKind, evidence: ExecutionEvidence[], key: { key: string; at: number } | undefined, tableRow: boolean, host: HostContext): Reading {
  if (kind !== 'unknown') return { kind, evidence };
  if (key && EXPECTED_KEYS.test(key.key)) {
    evidence.unshift({ kind: 'expected-output', strength: host.testFile ? 'strong' : 'moderate', reason: `value of the \`${key.key}\` key`, at: key.at });
    return { kind: 'expected-output', evidence };
  }
  if (key && SQL_KEYS.test(key.key) && tableRow && host.testFile) {
    evidence.unshift({ kind: 'expected-output', strength: 'moderate', reason: `value of the \`${key.key}\` key in a test table`, at: key.at });
    return { kind: 'expected-output', evidence };
  }
  return { kind: 'unknown', evidence };
}

interface Callee {
  name: string;
  last: string;
  first: number;
  at: number;
}

/** The callee of the call whose `(` is token open (`a.b.c(`, `fn<T>(`, `expect(x).toBe(`), or undefined. */
function calleeOf(t: HostTokens, open: number): Callee | undefined {
  let k = open - 1;
  if (isPunct(t, k, '>')) {
    // Type arguments: `query<Row>(`.
    let depth = 0;
    for (let j = k; j >= Math.max(0, k - 40); j--) {
      if (isPunct(t, j, '>')) depth++;
      else if (isPunct(t, j, '<') && --depth === 0) {
        k = j - 1;
        break;
      }
    }
  }
  if (!isId(t, k)) return undefined;
  const kw = tokText(t, k);
  if (kw === 'if' || kw === 'while' || kw === 'for' || kw === 'switch' || kw === 'return' || kw === 'function' || kw === 'catch' || kw === 'await' || kw === 'typeof') return undefined;
  if (isId(t, k - 1, 'function')) return undefined;
  const chain = memberChainAt(t, k);
  return { name: chain.name, last: kw, first: chain.first, at: t.starts[k] };
}

/** Which argument (0-based) of the call at `open` token i lies in. */
function argumentIndex(t: HostTokens, open: number, i: number): number {
  let n = 0;
  for (let k = open + 1; k < i; k++) {
    if (t.match[k] > k && t.kinds[k] === 'punct') {
      k = t.match[k];
      continue;
    }
    if ((t.kinds[k] === 'tplHead' || t.kinds[k] === 'tplMiddle') && t.match[k] > k) {
      k = t.match[k];
      continue;
    }
    if (isPunct(t, k, ',')) n++;
  }
  return n;
}

function decideCall(host: HostContext, c: Callee, arg: number, throughCall: boolean): ExecutionEvidence | undefined {
  const root = c.name.split(/[.(]/)[0];
  const ev = (kind: ExecutionKind, strength: EvidenceStrength, reason: string): ExecutionEvidence => ({ kind, strength, reason, at: c.at });
  if (MATCHERS.has(c.last) && c.name.includes('().')) return ev('expected-output', 'strong', `argument of ${c.name.replace(/\(\)/g, '(...)')}`);
  if (c.name === 'expect' || c.name === 'expect.soft' || c.last === 'expect' && root === 'expect') {
    // `expect(<actual>)`: the SQL is the value under test only when nothing executes it on the way.
    return throughCall ? undefined : ev('expected-output', 'moderate', 'value under test in expect(...)');
  }
  if (ASSERTIONS.has(c.last) && (ASSERT_ROOTS.has(root) || CHAI_LINKS.test(`.${c.name}.`))) {
    // assert.equal(actual, expected): the expected side always; the actual side when reached directly.
    if (arg >= 1) return ev('expected-output', 'strong', `expected value of ${c.name}(...)`);
    return throughCall ? undefined : ev('expected-output', 'moderate', `actual value of ${c.name}(...)`);
  }
  if (EXPECT_SQL.test(c.last)) return ev('expected-output', 'strong', `argument of ${c.last}(...)`);
  if (MOCKS.test(c.last)) return ev('expected-output', 'moderate', `argument of the test double ${c.name}(...)`);
  if (TEST_CALLS.has(c.name) && arg === 0 && !throughCall) return ev('test-title', 'strong', `title of ${c.name}(...)`);
  if (host.functions.has(c.last)) return ev('executed', 'strong', `argument of ${c.name}(...)`);
  if (PARSERS.test(c.last)) return ev('parser-input', c.last.startsWith('parse') || c.last === 'astify' ? 'strong' : 'moderate', `argument of ${c.name}(...), a parser or describer`);
  return undefined;
}

/** `name: <expr>` inside an object: the key (identifier or string key), when token i follows it. */
function keyBefore(t: HostTokens, i: number): string | undefined {
  if (!isPunct(t, i - 1, ':')) return undefined;
  if (isId(t, i - 2)) return tokText(t, i - 2);
  if (t.kinds[i - 2] === 'str') return tokText(t, i - 2).slice(1, -1);
  return undefined;
}

/** The `{` at token open starts an object literal (not a block): it follows an operator, `(`, `,`, `:`, `[`, `return`... */
function isObjectLiteral(t: HostTokens, open: number): boolean {
  if (!isPunct(t, open, '{')) return false;
  const p = open - 1;
  if (p < 0) return false;
  if (t.kinds[p] === 'punct') {
    const v = tokText(t, p);
    return v !== ')' && v !== '=>' && v !== ';' && v !== '}' && v !== ']';
  }
  if (t.kinds[p] === 'tplHead' || t.kinds[p] === 'tplMiddle') return true;
  return isId(t, p, 'return') || isId(t, p, 'yield') || isId(t, p, 'await');
}

interface Binding {
  name: string;
  at: number;
  index: number;
}

/** `const|let|var name (: Type)? = <expr at s>` or `name = <expr>`: the bound name. */
function bindingOf(t: HostTokens, s: number): Binding | undefined {
  if (!isPunct(t, s - 1, '=')) return undefined;
  let k = s - 2;
  // `: string` type annotation.
  if (isId(t, k) && isPunct(t, k - 1, ':') && isId(t, k - 2)) k -= 2;
  if (!isId(t, k)) return undefined;
  if (isPunct(t, k - 1, '.')) return undefined;
  return { name: tokText(t, k), at: t.starts[k], index: k };
}

/** A bound literal: the name's own meaning, then (once) how the name is used in the file. */
function bindingReading(host: HostContext, b: Binding, evidence: ExecutionEvidence[], hop: number): Reading {
  const t = host.tokens;
  if (hop === 0) {
    const uses: Reading[] = [];
    for (const k of identifierIndex(t).get(b.name) ?? []) {
      if (uses.length >= 20) break;
      if (k === b.index) continue;
      if (isPunct(t, k - 1, '.') || isPunct(t, k + 1, ':') && !isPunct(t, k - 1, '?')) continue;
      if (isPunct(t, k + 1, '=') && !isPunct(t, k + 2, '=')) continue;
      uses.push(readAround(host, k, hop + 1));
    }
    const executed = uses.find((u) => u.kind === 'executed');
    if (executed) {
      return { kind: 'executed', evidence: [{ ...executed.evidence[0], reason: `\`${b.name}\` is ${executed.evidence[0].reason}` }, ...evidence] };
    }
    const decided = uses.filter((u) => u.kind !== 'unknown');
    if (decided.length > 0 && decided.length === uses.length) {
      const first = decided[0];
      return { kind: first.kind, evidence: [{ ...first.evidence[0], reason: `\`${b.name}\` is used as ${first.evidence[0].reason}` }, ...evidence] };
    }
  }
  if (EXPECTED_NAMES.test(b.name)) {
    return { kind: 'expected-output', evidence: [{ kind: 'expected-output', strength: 'moderate', reason: `bound to \`${b.name}\``, at: b.at }, ...evidence] };
  }
  return { kind: 'unknown', evidence };
}
