// Experiments and plans as data: every registered experiment plans against the fault registry,
// the default game day covers every fault kind, and a bad plan file is a ConfigError naming the
// entry and the field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { experiments, getExperiment } from '../../chaos/experiments/index.ts';
import { faults } from '../../chaos/faults/index.ts';
import { DEFAULT_PLAN, loadPlan } from '../../chaos/gameday-plan.ts';
import { defineExperiment } from '../../chaos/model.ts';
import { planExperiment } from '../../chaos/plan.ts';
import { tmpDir } from './chaos-fakes.ts';

const REQUIRED = [
  'api-kill-task', 'web-kill-task', 'nginx-kill-task', 'replica-kill-task', 'worker-node-kill', 'node-pause', 'node-drain',
  'api-scale', 'api-rolling-update', 'api-bad-update', 'primary-restart', 'replica-replication-stopped', 'network-partition', 'node-partition', 'api-netem-latency',
];

test('every required experiment is registered, plans against the fault registry and describes each step', () => {
  for (const id of REQUIRED) assert.ok(experiments.has(id), `missing experiment ${id}`);
  for (const e of experiments.values()) {
    const plan = planExperiment(e, faults);
    assert.ok(plan.length > 0);
    for (const p of plan) assert.ok(p.line.length > 10, `${e.id}: step ${p.index} has no description`);
  }
});

test('the known-good and the deliberately bad variants say what their verdict must show', () => {
  assert.equal(getExperiment('api-rolling-update').tolerances.minAvailability, 100);
  assert.equal(getExperiment('api-bad-update').tolerances.expectDowntime, true);
  assert.equal(getExperiment('replica-replication-stopped').tolerances.expectLagging, true);
  assert.throws(() => getExperiment('api-kil-task'), (e: unknown) => e instanceof ConfigError && /expected one of .*api-kill-task.*got "api-kil-task"/.test((e as Error).message));
});

test('experiment data is validated with the field named', () => {
  assert.throws(() => defineExperiment({ id: 'Bad Id', title: 't', method: [{ type: 'wait', ms: 1 }] }), /^ConfigError: experiment "Bad Id": id: expected a string matching .*, got "Bad Id"$/);
  assert.throws(() => defineExperiment({ id: 'x', title: 't', method: [] }), /experiment "x": method: expected at least 1 entries, got \[\]/);
  assert.throws(() => defineExperiment({ id: 'x', title: 't', method: [{ type: 'wait', ms: 1 }], tolerances: { minAvailability: 120 } }), /experiment "x": tolerances\.minAvailability: expected a percent above 1 and at most 100 .*, got 120$/);
});

// issue 14: 99999999999 ms slept 1 ms (Node's timers overflow past 2^31-1 ms): every duration is bounded
test('every wait, hold, phase and duration of an experiment is bounded (1 h), the error names the key', () => {
  const base = { id: 'x', title: 't', method: [{ type: 'wait' as const, ms: 1 }] };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ method: [{ type: 'wait', ms: 99999999999 }] }, /experiment "x": method\[0\]\.ms: expected a duration in ms from 0 to 3600000 \(1 h\), got 99999999999/],
    [{ method: [{ type: 'fault', fault: 'kill-tasks', holdMs: 3_600_001 }] }, /method\[0\]\.holdMs: expected a duration in ms from 0 to 3600000/],
    [{ timing: { beforeMs: 1e12 } }, /timing\.beforeMs: expected a duration/],
    [{ timing: { afterMs: -1 } }, /timing\.afterMs: expected a duration/],
    [{ timing: { recoveryTimeoutMs: 2 ** 31 } }, /timing\.recoveryTimeoutMs: expected a duration/],
    [{ tolerances: { maxOutageMs: 1e11 } }, /tolerances\.maxOutageMs: expected a duration/],
    [{ tolerances: { maxRecoveryMs: 1.5 } }, /tolerances\.maxRecoveryMs: expected a duration .*whole number, got 1\.5/],
  ];
  for (const [patch, re] of cases) assert.throws(() => defineExperiment({ ...base, ...patch } as never), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(patch));
  assert.equal(defineExperiment({ ...base, method: [{ type: 'wait', ms: 3_600_000 }] }).method[0]!.type, 'wait');
  // fault params that sleep are bounded too
  const exp = (params: Record<string, unknown>, fault = 'scale') => defineExperiment({ ...base, method: [{ type: 'fault', fault, params }] });
  assert.throws(() => planExperiment(exp({ service: 's', delta: 1, waitMs: 99999999999 }), faults), /method\[0\]: fault scale: params\.waitMs: expected a duration in ms from 0 to 3600000 \(1 h\), got 99999999999/);
  assert.throws(() => planExperiment(exp({ service: 's', monitorMs: 1e10 }, 'bad-update'), faults), /params\.monitorMs: expected a duration/);
  assert.throws(() => planExperiment(exp({ service: 's', delayMs: 10, jitterMs: 1e10 }, 'netem'), faults), /params\.jitterMs: expected a duration in ms from 0 to 60000/);
});

// issue 14: minAvailability 0.99 was taken as 0.99 %. The unit is percent; 0..1 is refused as ambiguous.
test('minAvailability is a percent: 0..1 is refused as ambiguous with the fix spelled out; built-ins keep their meaning', () => {
  const exp = (minAvailability: unknown) => defineExperiment({ id: 'x', title: 't', method: [{ type: 'wait', ms: 1 }], tolerances: { minAvailability } as never });
  assert.equal(exp(99.5).tolerances.minAvailability, 99.5);
  assert.equal(exp(100).tolerances.minAvailability, 100);
  for (const v of [0.99, 1, 0.5, 0]) {
    assert.throws(() => exp(v), (e: unknown) => e instanceof ConfigError && /tolerances\.minAvailability: expected a percent above 1 and at most 100 .*the unit is percent/.test(e.message) && e.message.endsWith(`got ${v}`), String(v));
  }
  assert.throws(() => exp(0.99), /write 99 for 99 %/);
  assert.throws(() => exp('99%'), /expected a percent above 1 and at most 100.*got "99%"/);
  assert.throws(() => exp(-5), /expected a percent above 1/);
  // the built-in experiments are all in percent, as they always were
  for (const e of experiments.values()) {
    const v = e.tolerances.minAvailability;
    if (v !== undefined) assert.ok(v >= 70 && v <= 100, `${e.id}: ${v}`);
  }
  assert.equal(getExperiment('node-drain').tolerances.minAvailability, 99.5);
});

test('the default game-day plan covers every fault kind', () => {
  const plan = loadPlan(DEFAULT_PLAN);
  const kinds = new Set(plan.experiments.flatMap((e) => e.method.flatMap((s) => (s.type === 'fault' ? [s.fault] : []))));
  for (const k of faults.keys()) assert.ok(kinds.has(k), `default plan misses fault kind ${k}`);
  // the "cut a container or a node off its overlay network": both modes of partition
  const modes = plan.experiments.flatMap((e) => e.method.flatMap((s) => (s.type === 'fault' && s.fault === 'partition' ? [(s.params as { mode?: string }).mode] : [])));
  assert.deepEqual([...new Set(modes)].sort(), ['node', 'task']);
});

test('bad plan files: ConfigError naming the file, the entry and the field', () => {
  const dir = tmpDir();
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const expectErr = (file: string, re: RegExp) =>
    assert.throws(() => loadPlan(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match((e as Error).message, re);
      return true;
    });
  expectErr(path.join(dir, 'missing.yaml'), /--plan: expected a readable YAML file/);
  expectErr(write('syntax.yaml', 'name: x\nexperiments: [a\n'), /syntax\.yaml: \(file\): not valid YAML/);
  expectErr(write('unknown.yaml', 'name: x\nexperiments:\n  - api-kill-task\n  - experiment: no-such-thing\n'), /experiments\[1\]\.experiment: expected one of .*got "no-such-thing"/);
  expectErr(write('field.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    timing: { beforeMS: 10 }\n'), /experiments\[0\]\.timing\.beforeMS: unknown field/);
  expectErr(write('value.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    tolerances: { minAvailability: 101 }\n'), /experiments\[0\] \(api-kill-task\)\.tolerances\.minAvailability: expected a percent .*, got 101$/);
  expectErr(write('fraction.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    tolerances: { minAvailability: 0.99 }\n'), /\.tolerances\.minAvailability: expected a percent .*write 99 for 99 %, got 0\.99$/);
  expectErr(write('long.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    timing: { beforeMs: 99999999999, afterMs: 1e12 }\n'), /experiments\[0\] \(api-kill-task\)\.timing\.beforeMs: expected a duration in ms from 0 to 3600000 \(1 h\), got 99999999999\n.*timing\.afterMs: expected a duration/);
  expectErr(write('share.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    maxShare: 5\n'), /experiments\[0\]\.maxShare: expected a number <= 1, got 5/);
  // zod's own error is not chained (describeError would print its JSON dump)
  assert.throws(() => loadPlan(write('v2.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    tolerances: { minAvailability: 101 }\n')), (e: unknown) => (e as Error).cause === undefined);
  expectErr(write('extra.yaml', 'name: x\nexperiment: []\n'), /plan .*extra\.yaml/);
  expectErr(write('empty.yaml', 'name: x\nexperiments: []\n'), /experiments/);
  const ok = loadPlan(write('ok.yaml', 'name: tiny\nexperiments:\n  - api-kill-task\n  - experiment: api-scale\n    timing: { beforeMs: 1000 }\n'));
  assert.deepEqual(ok.experiments.map((e) => [e.id, e.timing.beforeMs]), [['api-kill-task', 5000], ['api-scale', 1000]]);
});
