import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHelp, parseArgs, UsageError } from '../../../src/cli/args';

const spec = {
  format: { type: 'string', choices: ['text', 'json', 'sarif', 'github'], default: 'text', short: 'f', description: 'output format' },
  config: { type: 'string', description: 'config file' },
  key: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  'max-warnings': { type: 'number' },
} as const;

test('long flags with separate and inline values, booleans, positionals', () => {
  const r = parseArgs(['a.sql', '--format', 'json', '--config=x.json', '--quiet', 'b/**/*.ts'], spec);
  assert.equal(r.flags.format, 'json');
  assert.equal(r.flags.config, 'x.json');
  assert.equal(r.flags.quiet, true);
  assert.deepEqual(r.positionals, ['a.sql', 'b/**/*.ts']);
  assert.deepEqual([...r.given].sort(), ['config', 'format', 'quiet']);
});

test('defaults apply when absent; booleans default to false; multiple defaults to []', () => {
  const r = parseArgs([], spec);
  assert.equal(r.flags.format, 'text');
  assert.equal(r.flags.config, undefined);
  assert.equal(r.flags.quiet, false);
  assert.deepEqual(r.flags.key, []);
  assert.equal(r.given.size, 0);
});

test('repeated flags collect in order; values may contain = and start with a dash', () => {
  const r = parseArgs(['--key', 's.t=a,b', '--key=u=c', '--max-warnings', '-1'], spec);
  assert.deepEqual(r.flags.key, ['s.t=a,b', 'u=c']);
  assert.equal(r.flags['max-warnings'], -1);
});

test('short aliases: -f json, -fjson, -f=json, -q', () => {
  assert.equal(parseArgs(['-f', 'json'], spec).flags.format, 'json');
  assert.equal(parseArgs(['-fjson'], spec).flags.format, 'json');
  assert.equal(parseArgs(['-f=sarif'], spec).flags.format, 'sarif');
  assert.equal(parseArgs(['-q'], spec).flags.quiet, true);
});

test('switch forms: --quiet=false, --no-quiet', () => {
  assert.equal(parseArgs(['--quiet', '--quiet=false'], spec).flags.quiet, false);
  assert.equal(parseArgs(['-q', '--no-quiet'], spec).flags.quiet, false);
  assert.throws(() => parseArgs(['--quiet=yes'], spec), /'--quiet' is a switch/);
});

test('-- ends options: later arguments are positionals even when they look like flags', () => {
  const r = parseArgs(['--quiet', '--', '--format', '-q'], spec);
  assert.deepEqual(r.positionals, ['--format', '-q']);
  assert.equal(r.flags.format, 'text');
});

test('unknown flags fail with the flag name and a suggestion', () => {
  assert.throws(() => parseArgs(['--fromat', 'json'], spec), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /unknown option '--fromat' \(did you mean '--format'\?\)/);
    assert.match(e.message, /known options: --format, --config/);
    return true;
  });
  assert.throws(() => parseArgs(['-x'], spec), /unknown option '-x'/);
  assert.throws(() => parseArgs(['--toString'], spec), /unknown option '--toString'/);
  assert.throws(() => parseArgs(['--no-config'], spec), /unknown option '--no-config'/);
});

test('missing values, bad choices and bad numbers are usage errors naming the flag', () => {
  assert.throws(() => parseArgs(['--format'], spec), /option '--format' needs a value \(one of text, json, sarif, github\)/);
  assert.throws(() => parseArgs(['--config', '--quiet'], spec), /option '--config' needs a value/);
  assert.throws(() => parseArgs(['--format', 'xml'], spec), /option '--format' must be one of text, json, sarif, github \(got 'xml'\)/);
  assert.throws(() => parseArgs(['--max-warnings', 'ten'], spec), /option '--max-warnings' needs a number, got 'ten'/);
  assert.throws(() => parseArgs(['--max-warnings='], spec), /needs a number/);
  assert.throws(() => parseArgs(['-qz'], spec), /'-q' is a switch/);
});

test('a lone dash and negative numbers are positionals', () => {
  assert.deepEqual(parseArgs(['-', '-5'], spec).positionals, ['-', '-5']);
});

test('formatHelp lists every flag, aligned', () => {
  const help = formatHelp(spec);
  const lines = help.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^ {2}-f, --format <text\|json\|sarif\|github> +output format \(default text\)$/);
  assert.match(help, /--key <value> +\(repeatable\)/);
  assert.equal(lines[0].indexOf('output format'), lines[1].indexOf('config file'));
  assert.equal(lines[0].indexOf('output format'), lines[2].indexOf('(repeatable)'));
});
