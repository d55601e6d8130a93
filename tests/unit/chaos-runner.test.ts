// The experiment lifecycle with fakes: order of steps, rollbacks after a failing fault and after
// an interrupt (SIGINT is an aborted signal), refusals that touch nothing, the dry-run plan.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { SafetyError } from '../../scripts/lib/errors.ts';
import { Ledger } from '../../chaos/ledger.ts';
import { formatPlan, planExperiment } from '../../chaos/plan.ts';
import { runExperiment } from '../../chaos/runner.ts';
import { experiment, fakeDeps, registryOf, tmpDir, World, worldFault } from './chaos-fakes.ts';

function setup() {
  const dir = tmpDir();
  const world = new World(path.join(dir, 'world.json'));
  const events: string[] = [];
  const ledger = new Ledger(path.join(dir, 'ledger.json'));
  const registry = registryOf(worldFault(world, events));
  return { dir, world, events, ledger, registry };
}

test('lifecycle order: safety, steady before, before phase, inject (ledger first), rollback, recovery, after, steady after', async () => {
  const { world, events, ledger, registry } = setup();
  const exp = experiment({
    method: [
      { type: 'fault', fault: 'break', name: 'one', params: { target: 'a' }, holdMs: 5 },
      { type: 'wait', ms: 5 },
      { type: 'fault', fault: 'break', name: 'two', params: { target: 'b' }, holdMs: 5 },
    ],
  });
  const deps = fakeDeps(events, ledger);
  let ledgerDuringInject: number | undefined;
  const orig = registry.get('break')!;
  const spy = { ...orig, inject: async (ctx: never, e: never) => ((ledgerDuringInject ??= ledger.read().length), orig.inject(ctx, e)) };
  const r = await runExperiment(exp, planExperiment(exp, registryOf(spy as never)), deps);

  assert.equal(r.journal.status, 'completed');
  assert.equal(r.journal.deviated, false);
  assert.equal(ledgerDuringInject, 1, 'the ledger entry exists before inject runs');
  assert.deepEqual(
    events.filter((e) => !e.startsWith('tag:')),
    [
      'phase:safety', 'safety', 'phase:steady-state-before', 'steady:0', 'watch', 'phase:before',
      'phase:fault:one', 'prepare:one', 'inject:one',
      'phase:fault:two', 'prepare:two', 'inject:two',
      'phase:recovery', 'undo:two', 'undo:one', 'steady:1', 'phase:after', 'steady:2',
    ],
  );
  assert.deepEqual(r.journal.phases.map((p) => p.name), ['before', 'fault:one', 'fault:two', 'recovery', 'after']);
  for (let i = 1; i < r.journal.phases.length; i++) assert.equal(r.journal.phases[i]!.start, r.journal.phases[i - 1]!.end, 'phases are contiguous');
  assert.deepEqual(r.journal.rollbacks, [{ fault: 'two', ok: true }, { fault: 'one', ok: true }]);
  assert.deepEqual(world.read().broken, []);
  assert.deepEqual(ledger.read(), [], 'undone faults leave the ledger');
  assert.deepEqual(deps.faultTags, ['one', 'two', undefined], 'probe samples are tagged with the active fault, then untagged');
  assert.ok(r.journal.faults.every((f) => f.end !== undefined && f.end >= f.start));
  assert.deepEqual(r.faultNotes, [{ injected: true }, { injected: true }]);
});

test('a failing fault: status failed, and everything injected so far (including it) is rolled back', async () => {
  const { world, events, ledger, registry } = setup();
  const exp = experiment({
    method: [
      { type: 'fault', fault: 'break', name: 'ok', params: { target: 'a' } },
      { type: 'fault', fault: 'break', name: 'bad', params: { target: 'b', failInject: true } },
      { type: 'fault', fault: 'break', name: 'never', params: { target: 'c' } },
    ],
  });
  const r = await runExperiment(exp, planExperiment(exp, registry), fakeDeps(events, ledger));
  assert.equal(r.journal.status, 'failed');
  assert.match(r.journal.error!, /inject of bad failed/);
  assert.ok(!events.includes('prepare:never'), 'no step after the failure runs');
  assert.deepEqual(events.filter((e) => e.startsWith('undo:')), ['undo:bad', 'undo:ok']);
  assert.deepEqual(world.read().broken, []);
  assert.deepEqual(ledger.read(), []);
});

test('SIGINT during the hold (aborted signal): status interrupted, rollback still runs, no after phase', async () => {
  const { world, events, ledger, registry } = setup();
  const exp = experiment({ method: [{ type: 'fault', fault: 'break', name: 'long', params: { target: 'a' }, holdMs: 60_000 }] });
  const deps = fakeDeps(events, ledger);
  const t0 = Date.now();
  const origInject = registry.get('break')!.inject;
  // the "Ctrl-C" arrives once the fault is in place
  registry.get('break')!.inject = async (ctx, e) => {
    const out = await origInject(ctx, e);
    setTimeout(() => deps.ac.abort(), 20);
    return out;
  };
  const r = await runExperiment(exp, planExperiment(exp, registry), deps);
  assert.ok(Date.now() - t0 < 10_000, 'the 60 s hold was cut short');
  assert.equal(r.journal.status, 'interrupted');
  assert.deepEqual(r.journal.rollbacks, [{ fault: 'long', ok: true }]);
  assert.deepEqual(world.read().broken, []);
  assert.deepEqual(ledger.read(), []);
  assert.ok(!r.journal.phases.some((p) => p.name === 'after'));
});

test('a failed undo stays in the ledger (for --recover) and fails the run', async () => {
  const { world, events, ledger, registry } = setup();
  const exp = experiment({ method: [{ type: 'fault', fault: 'break', name: 'sticky', params: { target: 'a', failUndo: true } }] });
  const r = await runExperiment(exp, planExperiment(exp, registry), fakeDeps(events, ledger));
  assert.equal(r.journal.status, 'failed');
  assert.equal(r.journal.rollbacks[0]!.ok, false);
  assert.deepEqual(world.read().broken, ['a']);
  assert.equal(ledger.read().length, 1);
  assert.equal(ledger.read()[0]!.status, 'injected');
});

test('steady state does not hold before: aborted, nothing injected', async () => {
  const { events, ledger, registry } = setup();
  const exp = experiment();
  const r = await runExperiment(exp, planExperiment(exp, registry), fakeDeps(events, ledger, { steady: () => false }));
  assert.equal(r.journal.status, 'aborted');
  assert.ok(!events.some((e) => e.startsWith('inject:') || e.startsWith('prepare:')));
});

test('steady state does not come back: deviated, recovery timed out, no after phase', async () => {
  const { events, ledger, registry } = setup();
  const exp = experiment();
  const r = await runExperiment(exp, planExperiment(exp, registry), fakeDeps(events, ledger, { steady: (n) => n === 0 }));
  assert.equal(r.journal.status, 'completed');
  assert.equal(r.journal.deviated, true);
  assert.equal(r.journal.steadyStateRecoveredMs, null);
  assert.ok(!r.journal.phases.some((p) => p.name === 'after'));
});

test('a safety refusal touches nothing and is reported as such', async () => {
  const { events, ledger, registry } = setup();
  const exp = experiment();
  const deps = fakeDeps(events, ledger, {
    safety: async () => {
      throw new SafetyError('target service(s) already degraded');
    },
  });
  const r = await runExperiment(exp, planExperiment(exp, registry), deps);
  assert.equal(r.journal.status, 'aborted');
  assert.ok(r.refused instanceof SafetyError);
  assert.ok(!events.some((e) => e.startsWith('steady') || e.startsWith('prepare') || e === 'watch'));
});

test('dry run: the plan is described from params alone, nothing is prepared or injected', () => {
  const { events, registry } = setup();
  const exp = experiment({ method: [{ type: 'fault', fault: 'break', params: { target: 'db' }, holdMs: 1000 }, { type: 'wait', ms: 500 }] });
  const text = formatPlan(exp, planExperiment(exp, registry));
  assert.match(text, /break db; hold 1000 ms/);
  assert.match(text, /wait 500 ms/);
  assert.deepEqual(events, []);
});

test('plan validation names the step and the field', () => {
  const { registry } = setup();
  assert.throws(
    () => planExperiment(experiment({ method: [{ type: 'fault', fault: 'nope', params: {} }] }), registry),
    /method\[0\]: fault: expected one of break, got "nope"/,
  );
  assert.throws(
    () => planExperiment(experiment({ method: [{ type: 'fault', fault: 'break', params: { target: 3 } }] }), registry),
    /method\[0\]: fault break: params\.target/,
  );
});

test('the final check gets a second look within timing.confirmMs: one slow answer after recovery is not a deviation, and the details say so', async () => {
  const { events, ledger, registry } = setup();
  const exp = experiment({ timing: { beforeMs: 5, afterMs: 5, recoveryTimeoutMs: 200, confirmMs: 5000 } });
  // 0 before, 1 recovery, 2 the first final check (fails), 3 the second (holds)
  const r = await runExperiment(exp, planExperiment(exp, registry), { ...fakeDeps(events, ledger, { steady: (n) => n !== 2 }), pollMs: 5 });
  assert.equal(r.journal.deviated, false);
  assert.equal(r.journal.steadyStateAfter?.ok, true);
  assert.match(r.journal.steadyStateAfter!.details.at(-1)!, /^held on check 2 \(before: /);
  assert.deepEqual(events.filter((e) => e.startsWith('steady:')), ['steady:0', 'steady:1', 'steady:2', 'steady:3']);
});

test('the final check that keeps failing for timing.confirmMs is a deviation, with the count of checks', async () => {
  const { events, ledger, registry } = setup();
  const exp = experiment({ timing: { beforeMs: 5, afterMs: 5, recoveryTimeoutMs: 200, confirmMs: 60 } });
  const r = await runExperiment(exp, planExperiment(exp, registry), { ...fakeDeps(events, ledger, { steady: (n) => n < 2 }), pollMs: 5 });
  assert.equal(r.journal.deviated, true);
  assert.match(r.journal.steadyStateAfter!.details.at(-1)!, /^failed \d+ checks in \d+ ms$/);
  const finalChecks = events.filter((e) => e.startsWith('steady:')).length - 2;
  assert.ok(finalChecks >= 2, `checked ${finalChecks} times`);
  // confirmMs 0: one check only, as before
  const once = setup();
  const exp0 = experiment({ timing: { beforeMs: 5, afterMs: 5, recoveryTimeoutMs: 200, confirmMs: 0 } });
  const r0 = await runExperiment(exp0, planExperiment(exp0, once.registry), { ...fakeDeps(once.events, once.ledger, { steady: (n) => n < 2 }), pollMs: 5 });
  assert.equal(r0.journal.deviated, true);
  assert.equal(once.events.filter((e) => e.startsWith('steady:')).length, 3);
});
