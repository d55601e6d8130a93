// The shared bad-input formatter (scripts/lib/config-errors.ts): one line per problem,
// `<source>: expected <what>, got <value>`, never a zod JSON dump; and the strict parsers chaos
// uses (and load can): plain decimals, durations, docker hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import {
  DOCKER_HOST_EXPECTED,
  parseDockerHost,
  parseDurationMs,
  pathText,
  strictNumber,
  zodConfigError,
  zodIssueLines,
} from '../../scripts/lib/config-errors.ts';
import { ConfigError, describeError } from '../../scripts/lib/errors.ts';
import { resolveField, type ChaosFile } from '../../chaos/config.ts';
import { resolveCommon } from '../../chaos/options.ts';

const noFile: ChaosFile = { values: {}, label: 'gameday.config.json' };

test('zod issues become one readable line each: source, expected, got', () => {
  const schema = z.object({ rate: z.number().max(200), mode: z.enum(['a', 'b']), name: z.string().min(1), list: z.array(z.number()).min(1) }).strict();
  const input = { rate: 500, mode: 'c', name: '', list: [], extra: 1 };
  const r = schema.safeParse(input);
  assert.ok(!r.success);
  const lines = zodIssueLines(r.error, { source: (p) => `x.json: chaos.${pathText(p)}`, input, knownKeys: () => ['rate', 'mode', 'name', 'list'] });
  assert.deepEqual(lines.sort(), [
    'x.json: chaos.extra: unknown key; expected one of rate, mode, name, list, got "extra"',
    'x.json: chaos.list: expected at least 1 entries, got []',
    'x.json: chaos.mode: expected one of "a", "b", got "c"',
    'x.json: chaos.name: expected a non-empty string, got ""',
    'x.json: chaos.rate: expected a number <= 200, got 500',
  ]);
  // a schema's own "expected ..." message is used as it is
  const own = z.number().max(5, 'expected at most 5 things');
  const e = zodConfigError(own.safeParse(9).error!, { source: () => '--things', input: 9 });
  assert.ok(e instanceof ConfigError);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, '--things: expected at most 5 things, got 9');
  assert.equal(pathText(['experiments', 0, 'timing', 'beforeMs']), 'experiments[0].timing.beforeMs');
});

test('a ConfigError caused by a ZodError prints no JSON dump', () => {
  const zerr = z.number().safeParse('x').error!;
  const { text, exitCode } = describeError(new ConfigError('--n: expected a number, got "x"', { cause: zerr }));
  assert.equal(exitCode, 2);
  assert.equal(text, '[E_CONFIG] --n: expected a number, got "x"');
});

test('strictNumber: plain decimals only (0x10, 1e3, " 5", "" stay strings and are rejected)', () => {
  assert.equal(strictNumber('12'), 12);
  assert.equal(strictNumber('0.5'), 0.5);
  assert.equal(strictNumber('-3'), -3);
  for (const s of ['0x10', '1e3', ' 5', '', 'Infinity', '5 ', '1_000', '0b11']) assert.equal(strictNumber(s), s, s);
  assert.equal(strictNumber(7), 7);
});

test('parseDurationMs: 500ms, 1.5m, 10s, 2h, 1m30s; bare numbers in the given unit; junk is undefined', () => {
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('1.5m'), 90_000);
  assert.equal(parseDurationMs('10s'), 10_000);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('30'), 30_000);
  assert.equal(parseDurationMs('30', 'ms'), 30);
  for (const s of ['', 'ms', '5 s', '-1s', '0x10s', '1d', '1e3ms', 'soon']) assert.equal(parseDurationMs(s), undefined, s);
});

test('parseDockerHost: unix, tcp with port 1-65535, ssh with a user; the rest says what is expected', () => {
  assert.deepEqual(parseDockerHost('unix:///var/run/docker.sock'), { ok: true, parts: { protocol: 'unix', socketPath: '/var/run/docker.sock' } });
  assert.deepEqual(parseDockerHost('tcp://127.0.0.1:12375'), { ok: true, parts: { protocol: 'tcp', host: '127.0.0.1', port: 12375 } });
  assert.deepEqual(parseDockerHost('tcp://manager'), { ok: true, parts: { protocol: 'tcp', host: 'manager', port: 2375 } });
  assert.deepEqual(parseDockerHost('ssh://ops@10.0.0.5'), { ok: true, parts: { protocol: 'ssh', host: '10.0.0.5', port: 22, username: 'ops' } });
  for (const bad of ['tcp://127.0.0.1:99999', 'tcp://h:0', 'tcp://h:65536']) assert.deepEqual(parseDockerHost(bad), { ok: false, expected: 'a tcp:// port from 1 to 65535' }, bad);
  assert.deepEqual(parseDockerHost('ssh://10.0.0.5'), { ok: false, expected: 'ssh://USER@HOST[:PORT] (the user is required)' });
  for (const bad of ['127.0.0.1:2375', 'http://h:1', 'unix://', 'unix://relative', 'tcp://', 'tcp://h:1/path', 'npipe:////./pipe/docker_engine', 42]) {
    assert.deepEqual(parseDockerHost(bad), { ok: false, expected: DOCKER_HOST_EXPECTED }, String(bad));
  }
});

// issue 14: "--docker-host tcp://127.0.0.1:99999" exited 1 with "Invalid URL", naming no field
test('a bad docker host is exit 2 naming the source actually used, what was expected and what was got', () => {
  const bad = 'tcp://127.0.0.1:99999';
  const expectLine = (fn: () => unknown, source: string) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.exitCode, 2);
      assert.equal(e.message, `${source}: expected a tcp:// port from 1 to 65535, got "${bad}"`);
      return true;
    });
  expectLine(() => resolveCommon({ dockerHost: bad }, { env: {}, file: noFile }), '--docker-host');
  expectLine(() => resolveCommon({}, { env: { DOCKER_HOST: bad }, file: noFile }), 'DOCKER_HOST');
  assert.equal(resolveCommon({}, { env: { DOCKER_HOST: 'ssh://ops@mgr' }, file: noFile }).target.dockerHostSource, 'DOCKER_HOST');
  assert.equal(resolveCommon({ dockerHost: 'unix:///run/d.sock' }, { env: {}, file: noFile }).target.dockerHostSource, '--docker-host');
});

test('chaos rates from flags and env: 0x10 and 1e1 are refused, named by their source', () => {
  assert.throws(() => resolveField('rate', { flags: { rate: '0x10' }, env: {}, file: noFile }), /^ConfigError: --rate: expected a number from 1 to 200, got "0x10"$/);
  assert.throws(() => resolveField('rate', { flags: {}, env: { GAMEDAY_CHAOS_RATE: '1e1' }, file: noFile }), /^ConfigError: GAMEDAY_CHAOS_RATE: expected a number from 1 to 200, got "1e1"$/);
  assert.deepEqual(resolveField('rate', { flags: { rate: '12.5' }, env: {}, file: noFile }), { value: 12.5, from: 'flag' });
});
