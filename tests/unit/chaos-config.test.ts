// Chaos / game-day configuration: flags > environment > gameday.config.json ("chaos" section and the
// shared top-level "target") > CHAOS_DEFAULTS, every bad input named with where it came from.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { CHAOS_DEFAULTS, CHAOS_FIELDS, readChaosFile, resolveField, sourceLabel, type ChaosField, type ChaosFile } from '../../chaos/config.ts';
import { addCommonOptions, flagsOf, resolveCommon } from '../../chaos/options.ts';
import { LOCAL_MANAGER_DOCKER_HOST } from '../../scripts/lib/local-swarm-names.ts';
import { tmpDir } from './chaos-fakes.ts';

function configFile(content: unknown, name = 'gameday.config.json'): string {
  const f = path.join(tmpDir('chaos-config-'), name);
  fs.writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

const fileOf = (content: unknown): ChaosFile => readChaosFile(configFile(content), {});
const noFile: ChaosFile = { values: {}, label: 'gameday.config.json' };

test('defaults apply with no flags, no environment and no file', () => {
  const c = resolveCommon({}, { env: {}, file: noFile });
  assert.equal(c.probeRate, CHAOS_DEFAULTS.probeRate);
  assert.equal(c.writeRate, CHAOS_DEFAULTS.writeRate);
  assert.deepEqual(c.load, { enabled: true, rate: CHAOS_DEFAULTS.loadRate });
  assert.equal(c.maxShare, undefined);
  assert.equal(c.allowManager, false);
  assert.equal(c.outDir, CHAOS_DEFAULTS.outDir);
  assert.equal(c.target.dockerHost, LOCAL_MANAGER_DOCKER_HOST);
  assert.equal(c.target.local, true);
  assert.equal(c.target.explicit, false);
  assert.equal(c.configFile, undefined);
});

test('every field from the file; flags beat environment beat the file, per field', () => {
  const file = fileOf({
    target: 'http://127.0.0.1:9999/',
    chaos: { rate: 3, writeRate: 2, loadRate: 7, load: false, maxShare: 0.3, allowManager: true, outDir: 'out/file', statsUrl: 'http://127.0.0.1:9998', dockerHost: 'tcp://127.0.0.1:2376' },
  });
  const fromFile = resolveCommon({}, { env: {}, file });
  assert.equal(fromFile.probeRate, 3);
  assert.equal(fromFile.writeRate, 2);
  assert.deepEqual(fromFile.load, { enabled: false, rate: 7 });
  assert.equal(fromFile.maxShare, 0.3);
  assert.equal(fromFile.allowManager, true);
  assert.equal(fromFile.outDir, 'out/file');
  assert.equal(fromFile.target.ingressUrl, 'http://127.0.0.1:9999');
  assert.equal(fromFile.target.statsUrl, 'http://127.0.0.1:9998');
  assert.equal(fromFile.target.dockerHost, 'tcp://127.0.0.1:2376');
  assert.equal(fromFile.target.explicit, true, 'a docker host named in the file is a choice, like the flag');
  assert.equal(fromFile.configFile, file.file);

  const env = { GAMEDAY_CHAOS_RATE: '20', GAMEDAY_CHAOS_LOAD: '1', GAMEDAY_CHAOS_MAX_SHARE: '0.4', GAMEDAY_OUT_DIR: 'out/env', DOCKER_HOST: 'tcp://127.0.0.1:2377' };
  const c = resolveCommon({ rate: '5', maxShare: '0.5' }, { env, file });
  assert.equal(c.probeRate, 5, 'flag beats env and file');
  assert.equal(c.maxShare, 0.5);
  assert.equal(c.load.enabled, true, 'env beats file');
  assert.equal(c.outDir, 'out/env');
  assert.equal(c.writeRate, 2, 'only in the file');
  assert.equal(c.target.dockerHost, 'tcp://127.0.0.1:2377', 'DOCKER_HOST beats the file');
  assert.equal(c.target.explicit, true, 'the target still comes from the file');
  assert.equal(resolveCommon({}, { env: { DOCKER_HOST: 'tcp://127.0.0.1:2377' }, file: noFile }).target.explicit, false, 'DOCKER_HOST alone is not an explicit target');
});

test('--no-load and --allow-manager are flags only when typed: commander defaults do not hide the file', () => {
  const parse = (argv: string[]) => {
    const p = addCommonOptions(new Command('t')).exitOverride();
    p.parse(argv, { from: 'user' });
    return flagsOf(p);
  };
  assert.deepEqual(parse([]), {});
  assert.deepEqual(parse(['--no-load', '--allow-manager', '-r', '4']), { load: false, allowManager: true, rate: '4' });
  const file = fileOf({ chaos: { load: false } });
  assert.equal(resolveCommon(parse([]), { env: {}, file }).load.enabled, false);
  assert.equal(resolveCommon(parse(['--no-load']), { env: { GAMEDAY_CHAOS_LOAD: 'true' }, file: noFile }).load.enabled, false);
});

test('the game-day plan: --plan > GAMEDAY_PLAN_FILE > chaos.plan, named by its source', () => {
  const file = fileOf({ chaos: { plan: 'plans/file.yaml' } });
  const src = (flags: object, env: NodeJS.ProcessEnv) => ({ flags, env, file });
  assert.deepEqual(resolveField('plan', src({}, {})), { value: 'plans/file.yaml', from: 'file' });
  assert.deepEqual(resolveField('plan', src({}, { GAMEDAY_PLAN_FILE: 'e.yaml' })), { value: 'e.yaml', from: 'env' });
  assert.deepEqual(resolveField('plan', src({ plan: 'f.yaml' }, { GAMEDAY_PLAN_FILE: 'e.yaml' })), { value: 'f.yaml', from: 'flag' });
  assert.equal(resolveField('plan', { flags: {}, env: {}, file: noFile }), undefined);
  assert.equal(sourceLabel('plan', 'file', file), 'gameday.config.json: chaos.plan');
});

// Every field with a bad value, from each source: the error names the flag, variable or file key,
// what was expected and what was got; exit code 2.
const bad: Record<ChaosField, unknown> = {
  target: 'ftp://x',
  statsUrl: 'stats',
  dockerHost: '127.0.0.1:2375',
  rate: 'fast',
  writeRate: 101,
  loadRate: 0,
  loadDistributed: '2.5',
  load: 'maybe',
  maxShare: 1.5,
  allowManager: 'sure',
  prometheus: 'perhaps',
  outDir: '',
  plan: 42,
  targetFile: '',
};

function assertNamed(fn: () => unknown, label: string, value: unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    assert.equal(err.exitCode, 2);
    assert.ok(err.message.startsWith(`${label}: expected `), err.message);
    assert.ok(err.message.endsWith(`got ${JSON.stringify(value)}`), err.message);
    return true;
  });
}

for (const [field, value] of Object.entries(bad) as [ChaosField, unknown][]) {
  const spec = CHAOS_FIELDS[field];
  test(`bad ${field} is named: ${spec.flag}, ${spec.env}, ${spec.fileKey}`, () => {
    assertNamed(() => resolveField(field, { flags: { [field]: value }, env: {}, file: noFile }), spec.flag, value);
    if (typeof value === 'string' && value !== '') {
      assertNamed(() => resolveField(field, { flags: {}, env: { [spec.env]: value }, file: noFile }), spec.env, value);
    }
    const content = field === 'target' ? { target: value } : { chaos: { [spec.fileKey.slice('chaos.'.length)]: value } };
    assertNamed(() => fileOf(content), `gameday.config.json: ${spec.fileKey}`, value);
  });
}

test('loadDistributed (issue 13): from flag, env or file; a whole number 1..32, named when not', () => {
  assert.equal(resolveCommon({}, { env: {}, file: noFile }).load.distributed, undefined, 'default: one engine on this machine');
  assert.equal(resolveCommon({ loadDistributed: '3' }, { env: { GAMEDAY_CHAOS_LOAD_DISTRIBUTED: '2' }, file: noFile }).load.distributed, 3);
  assert.equal(resolveCommon({}, { env: { GAMEDAY_CHAOS_LOAD_DISTRIBUTED: '2' }, file: noFile }).load.distributed, 2);
  assert.equal(resolveCommon({}, { env: {}, file: fileOf({ chaos: { loadDistributed: 4 } }) }).load.distributed, 4);
  for (const v of ['0', '33', 'two', '1e1']) assertNamed(() => resolveCommon({}, { env: { GAMEDAY_CHAOS_LOAD_DISTRIBUTED: v }, file: noFile }), 'GAMEDAY_CHAOS_LOAD_DISTRIBUTED', v);
  assertNamed(() => fileOf({ chaos: { loadDistributed: 0 } }), 'gameday.config.json: chaos.loadDistributed', 0);
  const p = addCommonOptions(new Command()).exitOverride();
  p.parse(['--load-distributed', '2'], { from: 'user' });
  assert.equal(resolveCommon(flagsOf(p), { env: {}, file: noFile }).load.distributed, 2);
});

test('config file: unknown keys, a non-object section, bad JSON and a missing --config file are named', () => {
  assert.throws(() => fileOf({ chaos: { rat: 5 } }), /^ConfigError: gameday\.config\.json: chaos\.rat: unknown key; expected one of .*rate/);
  assert.throws(() => fileOf({ chaoss: {} }), /gameday\.config\.json: chaoss: unknown key; expected one of target, load, chaos/);
  assert.throws(() => fileOf({ chaos: [1] }), /gameday\.config\.json: chaos: expected an object, got \[1\]/);
  assert.throws(() => fileOf('{nope'), /expected valid JSON/);
  const missing = path.join(tmpDir(), 'nope.json');
  assert.throws(() => readChaosFile(missing, {}), (e: unknown) => e instanceof ConfigError && e.message.startsWith('--config: expected a readable JSON config file'));
  assert.throws(() => readChaosFile(undefined, { GAMEDAY_CONFIG: missing }), /^ConfigError: GAMEDAY_CONFIG: expected a readable JSON config file/);
});

test('config file: GAMEDAY_CONFIG names it; the load section is the load command\'s business', () => {
  const f = configFile({ load: { profile: 'smoke' }, chaos: { rate: 4 } });
  const file = readChaosFile(undefined, { GAMEDAY_CONFIG: f });
  assert.deepEqual(file.values, { rate: 4 });
  assert.equal(file.file, f);
});

test('config file: an absent default ./gameday.config.json is no input', () => {
  const cwd = process.cwd();
  process.chdir(tmpDir());
  try {
    assert.deepEqual(readChaosFile(undefined, {}), { values: {}, label: 'gameday.config.json' });
  } finally {
    process.chdir(cwd);
  }
});

// The README's configuration docs stay true: its example file is valid for both readers, and its
// chaos table lists every field with the flag, variable and file key the code uses.
test('README: the example config file is valid and the chaos table matches CHAOS_FIELDS', async () => {
  const readme = fs.readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, 'an example config file in the Configuration section');
  const f = configFile(example);
  const chaos = readChaosFile(f, {});
  assert.ok(Object.keys(chaos.values).length > 1, JSON.stringify(chaos.values));
  const { readConfigFile: readLoadConfig } = await import('../../load/run/config.ts');
  assert.ok(Object.keys(readLoadConfig(f).values).length > 0);
  for (const [field, spec] of Object.entries(CHAOS_FIELDS)) {
    const row = section.split('\n').find((l) => l.startsWith(`| \`${spec.flag}\``));
    assert.ok(row, `a table row for ${field} (${spec.flag})`);
    assert.ok(row.includes(`\`${spec.env}`) && row.includes(`\`${spec.fileKey}\``), `${field}: ${row}`);
  }
});
