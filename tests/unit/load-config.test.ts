// Load configuration: precedence flags > env > file > defaults, and every bad input named.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FIELDS, LOAD_DEFAULTS, parseDuration, readConfigFile, readEnv, resolveConfig, type RawValues } from '../../load/run/config.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';

const none = { flags: {}, env: {}, file: {} };

test('defaults apply when nothing is given: embedded target, load profile, mixed scenario', () => {
  const c = resolveConfig(none);
  assert.equal(c.target, undefined);
  assert.equal(c.profile, 'load');
  assert.equal(c.scenario, 'mixed');
  assert.equal(c.engine, 'gameday');
  assert.equal(c.outDir, LOAD_DEFAULTS.outDir);
});

test('precedence: flags > env > file > defaults, per field', () => {
  const c = resolveConfig({
    flags: { profile: 'smoke' },
    env: readEnv({ GAMEDAY_PROFILE: 'stress', GAMEDAY_SCENARIO: 'web', GAMEDAY_RATE: '7' }),
    file: { profile: 'soak', scenario: 'api-read', rate: 3, durationS: '2m', target: 'http://127.0.0.1:9999/' },
  });
  assert.equal(c.profile, 'smoke'); // flag
  assert.equal(c.scenario, 'web'); // env beats file
  assert.equal(c.rate, 7);
  assert.equal(c.durationS, 120); // only in file
  assert.equal(c.target, 'http://127.0.0.1:9999'); // trailing slash dropped
});

test('engine: gameday by default, k6 from GAMEDAY_ENGINE, a flag wins over env', () => {
  assert.equal(resolveConfig({ ...none, env: readEnv({ GAMEDAY_ENGINE: 'k6' }) }).engine, 'k6');
  assert.equal(resolveConfig({ flags: { engine: 'gameday' }, env: readEnv({ GAMEDAY_ENGINE: 'k6' }), file: {} }).engine, 'gameday');
});

test('engine flags: repeatable flag, space-separated env, array in file', () => {
  assert.deepEqual(resolveConfig({ ...none, env: readEnv({ GAMEDAY_ENGINE_FLAGS: '--tag  team=qa' }) }).engineFlags, ['--tag', 'team=qa']);
  assert.deepEqual(resolveConfig({ ...none, file: { engineFlags: ['--quiet'] } }).engineFlags, ['--quiet']);
});

test('durations: k6-style and plain seconds', () => {
  assert.equal(parseDuration('90'), 90);
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('2m'), 120);
  assert.equal(parseDuration('1m30s'), 90);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('0.5s'), 0.5);
  assert.equal(parseDuration('500ms'), 0.5);
  assert.equal(parseDuration('1.5m'), 90);
  assert.equal(parseDuration('1h2m3.5s'), 3723.5);
  assert.equal(parseDuration('1m500ms'), 60.5);
  assert.equal(parseDuration('30s1m'), null, 'units largest first');
  assert.equal(parseDuration('1m1m'), null, 'each unit once');
  assert.equal(parseDuration('5x'), null);
  assert.equal(parseDuration(''), null);
  assert.equal(parseDuration('m'), null);
});

// Every field, from each source, with a bad value: the error names where it came from, what was
// expected and what was got.
const bad: Partial<Record<keyof typeof FIELDS, unknown>> = {
  target: 'ftp://x',
  profile: 'heavy',
  scenario: 'api-reed',
  durationS: '5x',
  rate: '-3',
  outDir: '',
  engine: 'k7',
  engineFlags: 42,
  slo: '',
  thresholds: 7,
  httpTimeoutS: 'soon',
  rywTimeoutMs: '0s',
  rywPollMs: 'often',
};

for (const [field, value] of Object.entries(bad) as [keyof typeof FIELDS, unknown][]) {
  const spec = FIELDS[field];
  for (const source of ['flags', 'env', 'file'] as const) {
    // env values are strings by nature; a non-string bad value only makes sense from JSON or flags
    if (source === 'env' && typeof value !== 'string') continue;
    if (source === 'env' && value === '') continue; // empty env = unset
    test(`bad ${field} from ${source} is named: ${source === 'flags' ? spec.flag : source === 'env' ? spec.env : spec.fileKey}`, () => {
      const raw: RawValues = { [field]: value };
      const src = { flags: {}, env: {}, file: {}, fileLabel: 'gameday.config.json', [source]: source === 'env' ? readEnv({ [spec.env]: value as string }) : raw };
      assert.throws(
        () => resolveConfig(src),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
          const label = source === 'flags' ? spec.flag : source === 'env' ? spec.env : `gameday.config.json: ${spec.fileKey}`;
          assert.match(err.message, new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected `));
          assert.ok(err.message.includes(`got ${JSON.stringify(value)}`), err.message);
          assert.equal(err.exitCode, 2);
          return true;
        },
      );
    });
  }
}

// values that look like numbers to Number() or run for ever are still errors, named like the rest
const unbounded: [keyof typeof FIELDS, string][] = [
  ['rate', '0x10'],
  ['rate', '1e3'],
  ['rate', '10001'],
  ['durationS', '8d'],
  ['durationS', '999999h'],
  ['httpTimeoutS', '1h'],
  ['rywPollMs', '1ms'],
];
for (const [field, value] of unbounded) {
  test(`${FIELDS[field].flag} ${value} is rejected, naming the flag and its bound`, () => {
    assert.throws(
      () => resolveConfig({ ...none, flags: { [field]: value } }),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${FIELDS[field].flag}: expected `) && err.message.includes(`got "${value}"`),
    );
  });
}

test('--rate at its bound and sub-second durations are accepted', () => {
  const c = resolveConfig({ ...none, flags: { rate: '10000', rywPollMs: '250ms', httpTimeoutS: '1.5m' } });
  assert.equal(c.rate, 10000);
  assert.equal(c.rywPollMs, 250);
  assert.equal(c.httpTimeoutS, 90);
});

test('read-your-writes poll longer than its timeout is rejected naming --ryw-poll', () => {
  assert.throws(() => resolveConfig({ ...none, flags: { rywPollMs: '6s' } }), /--ryw-poll: expected at most/);
});

function tmpFile(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-config-'));
  const f = path.join(dir, 'gameday.config.json');
  fs.writeFileSync(f, content);
  return f;
}

test('config file: load section and shared target are read', () => {
  const f = tmpFile(JSON.stringify({ target: 'http://127.0.0.1:1234', load: { profile: 'spike', duration: '30s' }, chaos: { whatever: 1 } }));
  const { values, label } = readConfigFile(f);
  assert.equal(label, 'gameday.config.json');
  const c = resolveConfig({ flags: {}, env: {}, file: values });
  assert.equal(c.target, 'http://127.0.0.1:1234');
  assert.equal(c.profile, 'spike');
  assert.equal(c.durationS, 30);
});

test('config file: unknown key in load, non-object load and invalid JSON are named', () => {
  assert.throws(() => readConfigFile(tmpFile('{"load":{"profle":"smoke"}}')), /gameday\.config\.json: load\.profle: unknown key; expected one of profile/);
  assert.throws(() => readConfigFile(tmpFile('{"load":[1]}')), /load: expected an object, got \[1\]/);
  assert.throws(() => readConfigFile(tmpFile('{nope')), (e: unknown) => e instanceof ConfigError && /expected valid JSON/.test(e.message));
  assert.throws(() => readConfigFile(tmpFile('[]')), /expected a JSON object/);
});

test('config file: absent file is no input', () => {
  assert.deepEqual(readConfigFile('/nonexistent/gameday.config.json').values, {});
});
