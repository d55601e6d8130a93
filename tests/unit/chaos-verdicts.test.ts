// Verdict arithmetic on recorded samples: availability and longest outage per phase, downtime that
// must be reported, lag that must be reported, lost writes, recovery times, write outage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChaosJournal, LagSample, LostWriteResult, ProbeSample, WriteRecord } from '../../scripts/lib/run-folder.ts';
import { recoveryTimes } from '../../chaos/convergence.ts';
import { evaluate, writesAsSamples } from '../../chaos/verdicts.ts';
import { aggregateJournal } from '../../chaos/session-results.ts';
import { experiment } from './chaos-fakes.ts';

// phases: before [0,1000) fault [1000,3000) recovery [3000,4000) after [4000,5000]
const PHASES = [
  { name: 'before', start: 0, end: 1000 },
  { name: 'fault:kill', start: 1000, end: 3000 },
  { name: 'recovery', start: 3000, end: 4000 },
  { name: 'after', start: 4000, end: 5000 },
];

function journal(over: Partial<ChaosJournal> = {}): ChaosJournal {
  return {
    experiment: 'fake-exp',
    status: 'completed',
    deviated: false,
    startedAt: '',
    finishedAt: '',
    steadyStateBefore: { ok: true, details: [] },
    steadyStateAfter: { ok: true, details: ['fine'] },
    faults: [{ name: 'kill', start: 1000, end: 3000 }],
    phases: PHASES,
    rollbacks: [{ fault: 'kill', ok: true }],
    recovery: [{ service: 'api', backAtDesiredMs: 4200 }],
    ...over,
  };
}

/** Two streams at 10/s from 0 to 5000 ms; `fails(t, stream)` marks failures. */
function probe(fails: (t: number, stream: string) => boolean = () => false): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (let t = 0; t <= 5000; t += 100) {
    for (const endpoint of ['api-list', 'web-index']) {
      const bad = fails(t, endpoint);
      out.push({ t, endpoint, conn: 'keepalive', ok: !bad, status: bad ? 502 : 200, error: bad ? 'status' : undefined, ms: 5 });
    }
  }
  return out;
}

const noLost: LostWriteResult = { checkedAt: '', attempted: 10, acknowledged: 10, perServer: [], lost: [], unexpected: [], ok: true };
const rec = (p: ProbeSample[], extra: { writes?: WriteRecord[]; lag?: LagSample[]; lostWrites?: LostWriteResult } = {}) => ({ probe: p, writes: extra.writes ?? [], lag: extra.lag ?? [], lostWrites: extra.lostWrites });
const byTol = (vs: { tolerance: string; ok: boolean; actual: string }[], re: RegExp) => {
  const v = vs.find((x) => re.test(x.tolerance));
  assert.ok(v, `no verdict matching ${re}: ${vs.map((x) => x.tolerance).join(' | ')}`);
  return v;
};

test('a clean run passes availability, outage, recovery and lost writes, with figures', () => {
  const exp = experiment({ tolerances: { minAvailability: 99, maxOutageMs: 1000, maxRecoveryMs: 5000 } });
  const { verdicts, phases } = evaluate(exp, journal(), rec(probe(), { lostWrites: noLost }), []);
  assert.deepEqual(phases.map((p) => p.availability), [1, 1, 1, 1]);
  assert.ok(verdicts.every((v) => v.ok), JSON.stringify(verdicts.filter((v) => !v.ok)));
  assert.match(byTol(verdicts, /availability/).actual, /worst 100\.00%/);
  assert.match(byTol(verdicts, /no acknowledged write lost/).actual, /10 acknowledged; lost 0/);
  assert.match(byTol(verdicts, /back at desired/).actual, /api 4\.2 s/);
});

test('failures during the fault: availability of that phase and the outage length (first failure to next success)', () => {
  const exp = experiment({ tolerances: { minAvailability: 99, maxOutageMs: 300 } });
  // api-list fails at 1500..1900 (5 samples); next success at 2000 -> 500 ms outage
  const { verdicts, phases } = evaluate(exp, journal(), rec(probe((t, s) => s === 'api-list' && t >= 1500 && t < 2000)), []);
  const fault = phases.find((p) => p.phase === 'fault:kill')!;
  assert.equal(fault.requests, 40);
  assert.equal(fault.failed, 5);
  assert.equal(fault.availability, 35 / 40);
  assert.equal(fault.longestOutageMs, 500);
  const a = byTol(verdicts, /availability >= 99%/);
  assert.equal(a.ok, false);
  assert.match(a.actual, /worst 87\.50% in fault:kill; 5\/\d+ failed \(status 5\); longest outage 500 ms/);
  const o = byTol(verdicts, /longest outage <= 300 ms/);
  assert.equal(o.ok, false);
  assert.match(o.actual, /500 ms \(fault:kill, api-list\/keepalive\)/);
});

test('zero-downtime means zero: a single failed request fails a 100% tolerance', () => {
  const exp = experiment({ tolerances: { minAvailability: 100, maxOutageMs: 0 } });
  const { verdicts } = evaluate(exp, journal(), rec(probe((t, s) => s === 'web-index' && t === 3500)), []);
  assert.equal(byTol(verdicts, /availability >= 100%/).ok, false);
  assert.equal(byTol(verdicts, /longest outage <= 0 ms/).ok, false);
  assert.equal(evaluate(exp, journal(), rec(probe()), []).verdicts.every((v) => v.ok), true);
});

test('expectDowntime: the bad variant passes only when downtime IS reported, with its length', () => {
  const exp = experiment({ tolerances: { expectDowntime: true, minAvailability: 100 } });
  const bad = evaluate(exp, journal(), rec(probe((t, s) => s === 'api-list' && t >= 2000 && t < 2800)), []);
  const v = byTol(bad.verdicts, /downtime is reported/);
  assert.equal(v.ok, true);
  assert.match(v.actual, /8\/\d+ failed \(status 8\); longest outage 800 ms from fault:kill on api-list\/keepalive/);
  assert.ok(!bad.verdicts.some((x) => /availability >=/.test(x.tolerance)), 'availability is not judged for the bad variant');
  const clean = evaluate(exp, journal(), rec(probe()), []);
  assert.equal(byTol(clean.verdicts, /downtime is reported/).ok, false, 'a bad variant that shows no downtime means the measurement is blind');
});

test('an outage spanning phases is reported whole, not clipped at the phase boundary', () => {
  // api-list fails from 2500 to 3500 (fault 500 ms + recovery 500 ms); next success at 3500
  const exp = experiment({ tolerances: { maxOutageMs: 700 } });
  const { verdicts, phases } = evaluate(exp, journal(), rec(probe((t, s) => s === 'api-list' && t >= 2500 && t < 3500)), []);
  assert.equal(phases.find((p) => p.phase === 'fault:kill')!.longestOutageMs, 500, 'phase stats clip');
  const v = byTol(verdicts, /longest outage <= 700 ms/);
  assert.equal(v.ok, false);
  assert.match(v.actual, /^1000 ms \(fault:kill, api-list\/keepalive\)/);
});

test('latency per phase (answered requests only) and its optional p95 tolerance', () => {
  const slow = probe().map((x) => (x.t >= 1000 && x.t < 3000 ? { ...x, ms: 1005 } : x));
  const r = evaluate(experiment({ tolerances: { maxP95LatencyMs: 500 } }), journal(), rec(slow), []);
  assert.deepEqual(r.latency.map((l) => [l.phase, l.p50Ms, l.p95Ms]), [['before', 5, 5], ['fault:kill', 1005, 1005], ['recovery', 5, 5], ['after', 5, 5]]);
  const v = byTol(r.verdicts, /p95 latency <= 500 ms/);
  assert.equal(v.ok, false);
  assert.match(v.actual, /worst p95 1005 ms .* in fault:kill/);
  assert.equal(byTol(evaluate(experiment({ tolerances: { maxP95LatencyMs: 500 } }), journal(), rec(probe()), []).verdicts, /p95 latency/).ok, true);
});

test('expectSlowerByMs: a latency fault must be visible in the p95 while it acts, else it measured nothing', () => {
  const slow = probe().map((x) => (x.t >= 1000 && x.t < 3000 ? { ...x, ms: 305 } : x));
  const seen = byTol(evaluate(experiment({ tolerances: { expectSlowerByMs: 200 } }), journal(), rec(slow), []).verdicts, /latency rises by >= 200 ms/);
  assert.equal(seen.ok, true);
  assert.match(seen.actual, /p95 5 ms before, 305 ms in fault:kill \(\+300 ms\)/);
  const unseen = byTol(evaluate(experiment({ tolerances: { expectSlowerByMs: 200 } }), journal(), rec(probe()), []).verdicts, /latency rises/);
  assert.equal(unseen.ok, false);
  assert.match(unseen.actual, /\(\+0 ms\)/);
});

test('writes count as user requests unless the experiment judges reads only; write outage is its own figure', () => {
  const writes: WriteRecord[] = [];
  for (let t = 0; t <= 5000; t += 200) writes.push({ t, token: `w${t}`, acknowledged: !(t >= 1200 && t < 2400), status: t >= 1200 && t < 2400 ? 503 : 201, ms: 10 });
  assert.equal(writesAsSamples(writes).filter((s) => !s.ok).length, 6);
  const all = evaluate(experiment({ tolerances: { minAvailability: 99, maxWriteOutageMs: 2000 } }), journal(), rec(probe(), { writes }), []);
  assert.equal(byTol(all.verdicts, /availability/).ok, false);
  const w = byTol(all.verdicts, /write outage/);
  assert.equal(w.ok, true);
  assert.match(w.actual, /longest write outage 1200 ms/);
  const reads = evaluate(experiment({ tolerances: { availabilityOf: 'reads', minAvailability: 99, maxWriteOutageMs: 1000 } }), journal(), rec(probe(), { writes }), []);
  assert.equal(byTol(reads.verdicts, /availability/).ok, true);
  assert.equal(byTol(reads.verdicts, /write outage/).ok, false);
});

test('expectLagging: a stopped replica is reported (threads not running, heartbeat lag growing)', () => {
  const lag: LagSample[] = [];
  for (let t = 0; t <= 5000; t += 250) {
    const stopped = t >= 1000 && t < 3000;
    lag.push({ t, replica: 'slave.1', heartbeatLagMs: stopped ? t - 1000 + 50 : 40, secondsBehindMaster: stopped ? null : 0, ioRunning: !stopped, sqlRunning: !stopped });
    lag.push({ t, replica: 'slave.2', heartbeatLagMs: 30, secondsBehindMaster: 0, ioRunning: true, sqlRunning: true });
  }
  const exp = experiment({ tolerances: { expectLagging: true, laggingAboveMs: 1000 } });
  const r = evaluate(exp, journal(), rec(probe(), { lag }), []);
  const v = byTol(r.verdicts, /lagging replica is reported/);
  assert.equal(v.ok, true);
  assert.match(v.actual, /slave\.1: max 1800 ms, stopped 8\/8 samples/);
  assert.doesNotMatch(v.actual, /slave\.2/);
  const healthy = lag.map((s) => ({ ...s, heartbeatLagMs: 40, ioRunning: true, sqlRunning: true }));
  assert.equal(byTol(evaluate(exp, journal(), rec(probe(), { lag: healthy }), []).verdicts, /lagging/).ok, false);
  const p95 = evaluate(experiment({ tolerances: { maxReplicaLagP95Ms: 500 } }), journal(), rec(probe(), { lag }), []);
  assert.equal(byTol(p95.verdicts, /replica heartbeat lag p95 <= \d+ ms in the fault phases/).ok, false);
});

test('lost or unexpected writes fail, naming the ids', () => {
  const lost: LostWriteResult = { ...noLost, lost: [17, 18], unexpected: ['gdw-x'], ok: false };
  const v = byTol(evaluate(experiment(), journal(), rec(probe(), { lostWrites: lost }), []).verdicts, /write lost/);
  assert.equal(v.ok, false);
  assert.match(v.actual, /lost 2 \(17, 18\); unexpected 1/);
  assert.equal(byTol(evaluate(experiment(), journal(), rec(probe(), { lostWrites: noLost }), []).verdicts, /stored twice/).ok, true);
});

test('a write stored twice (a re-sent create that ran twice) fails its own verdict, naming the token', () => {
  const dup: LostWriteResult = { ...noLost, duplicated: ['gdw-0000abcd-7'] };
  const vs = evaluate(experiment(), journal(), rec(probe(), { lostWrites: dup }), []).verdicts;
  assert.equal(byTol(vs, /write lost/).ok, true);
  const v = byTol(vs, /stored twice/);
  assert.equal(v.ok, false);
  assert.match(v.actual, /duplicated 1 \(gdw-0000abcd-7\)/);
});

test('run status, rollbacks, steady state and rollback expectations are verdicts too', () => {
  const vs = evaluate(
    experiment({ tolerances: { expectRollback: true } }),
    journal({ status: 'failed', error: 'inject failed', rollbacks: [{ fault: 'kill', ok: false, error: 'boom' }], steadyStateAfter: { ok: false, details: ['api: 1/2 running'] } }),
    rec(probe()),
    [{ updateState: 'paused' }],
  ).verdicts;
  assert.equal(byTol(vs, /run completed/).ok, false);
  assert.match(byTol(vs, /every fault undone/).actual, /kill: boom/);
  assert.match(byTol(vs, /steady state after/).actual, /api: 1\/2 running/);
  assert.equal(byTol(vs, /rolled the bad update back/).ok, false);
  assert.equal(byTol(evaluate(experiment({ tolerances: { expectRollback: true } }), journal(), rec(probe()), [{ updateState: 'rollback_completed' }]).verdicts, /rolled/).ok, true);
});

test('recovery time: from the first injection to the end of the last degraded stretch', () => {
  const s = (t: number, ok: boolean) => ({ t, service: 'api', ok, running: ok ? 2 : 1, desired: 2 });
  assert.deepEqual(recoveryTimes([s(900, true), s(1100, false), s(2000, false), s(2500, true), s(3000, false), s(3500, true), s(4000, true)], ['api'], 1000), [{ service: 'api', backAtDesiredMs: 2500 }]);
  assert.deepEqual(recoveryTimes([s(1100, true), s(2000, true)], ['api'], 1000), [{ service: 'api', backAtDesiredMs: 0 }]);
  assert.deepEqual(recoveryTimes([s(1100, true), s(2000, false)], ['api'], 1000), [{ service: 'api', backAtDesiredMs: null }]);
});

test('a game day journal aggregates experiments with prefixed phases and the worst status', () => {
  const j1 = journal({ experiment: 'a' });
  const j2 = journal({ experiment: 'b', status: 'failed', error: 'x', deviated: true });
  const agg = aggregateJournal('gameday:default', [{ journal: j1, faultNotes: [], serviceSamples: [] }, { journal: j2, faultNotes: [], serviceSamples: [] }]);
  assert.equal(agg.status, 'failed');
  assert.equal(agg.deviated, true);
  assert.deepEqual(agg.phases.slice(0, 2).map((p) => p.name), ['a/before', 'a/fault:kill']);
  assert.equal(agg.faults.length, 2);
  assert.match(agg.error!, /b: x/);
});
