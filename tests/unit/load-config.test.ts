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
  assert.equal(c.dashboard, true);
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

test('dashboard: GAMEDAY_DASHBOARD=0 turns it off, a --no-dashboard flag wins over env', () => {
  assert.equal(resolveConfig({ ...none, env: readEnv({ GAMEDAY_DASHBOARD: '0' }) }).dashboard, false);
  assert.equal(resolveConfig({ flags: { dashboard: false }, env: readEnv({ GAMEDAY_DASHBOARD: 'true' }), file: {} }).dashboard, false);
});

test('k6 flags: repeatable flag, space-separated env, array in file', () => {
  assert.deepEqual(resolveConfig({ ...none, env: readEnv({ GAMEDAY_K6_FLAGS: '--http-debug  --quiet' }) }).k6Flags, ['--http-debug', '--quiet']);
  assert.deepEqual(resolveConfig({ ...none, file: { k6Flags: ['--quiet'] } }).k6Flags, ['--quiet']);
});

test('durations: k6-style and plain seconds', () => {
  assert.equal(parseDuration('90'), 90);
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('2m'), 120);
  assert.equal(parseDuration('1m30s'), 90);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('0.5s'), 0.5);
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
  k6Flags: 42,
  dashboard: 'maybe',
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
