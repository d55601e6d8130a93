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
  assert.throws(() => defineExperiment({ id: 'Bad Id', title: 't', method: [{ type: 'wait', ms: 1 }] }), /experiment "Bad Id": field id/);
  assert.throws(() => defineExperiment({ id: 'x', title: 't', method: [] }), /field method/);
  assert.throws(() => defineExperiment({ id: 'x', title: 't', method: [{ type: 'wait', ms: 1 }], tolerances: { minAvailability: 120 } }), /field tolerances\.minAvailability/);
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
  expectErr(write('value.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    tolerances: { minAvailability: 101 }\n'), /experiments\[0\] \(api-kill-task\)\.tolerances\.minAvailability/);
  expectErr(write('extra.yaml', 'name: x\nexperiment: []\n'), /plan .*extra\.yaml/);
  expectErr(write('empty.yaml', 'name: x\nexperiments: []\n'), /experiments/);
  const ok = loadPlan(write('ok.yaml', 'name: tiny\nexperiments:\n  - api-kill-task\n  - experiment: api-scale\n    timing: { beforeMs: 1000 }\n'));
  assert.deepEqual(ok.experiments.map((e) => [e.id, e.timing.beforeMs]), [['api-kill-task', 5000], ['api-scale', 1000]]);
});
