import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { VisibilityTracker, parseProbeLine, visibilityProbeScript } from '../../chaos/measure/lag-visibility.ts';

test('probe lines: ready, seen (µs -> ms, wall-clock ack), pending, error, garbage', () => {
  assert.deepEqual(parseProbeLine('ready'), { kind: 'ready' });
  assert.deepEqual(parseProbeLine('seen 7 1234 0 1795318702057806'), { kind: 'seen', seq: 7, lagMs: 1.234, pending: 0, ackAt: 1795318702057.806 });
  assert.deepEqual(parseProbeLine('seen 7 1234 2'), { kind: 'seen', seq: 7, lagMs: 1.234, pending: 2 });
  assert.deepEqual(parseProbeLine('pending 8 250000 3'), { kind: 'pending', seq: 8, ageMs: 250, count: 3 });
  assert.deepEqual(parseProbeLine('error the connection to the replica closed'), { kind: 'error', text: 'the connection to the replica closed' });
  assert.equal(parseProbeLine('seen x 1 2').kind, 'unknown');
  assert.equal(parseProbeLine('ERROR 2002 (HY000)').kind, 'unknown');
});

test('tracker: a caught-up replica reads the delay of its newest heartbeat', () => {
  const t = new VisibilityTracker(0);
  assert.equal(t.reading(0), undefined, 'nothing before the first line');
  t.push('ready', 10);
  assert.equal(t.reading(20), undefined, 'ready alone says nothing');
  t.push('seen 1 3100 0', 100);
  assert.deepEqual(t.reading(150), { lagMs: 3.1, behind: false });
  t.push('seen 2 900 0', 200);
  assert.deepEqual(t.reading(250), { lagMs: 0.9, behind: false });
});

test('tracker: held D behind reads D; stopped reads the growing age of the first heartbeat not applied', () => {
  const t = new VisibilityTracker(0);
  // constant 1000 ms delay: every tick the oldest pending is ~900 ms old, each seen one took 1000 ms
  t.push('seen 10 1000000 9', 1000);
  t.push('pending 11 900000 10', 1001);
  assert.equal(t.reading(1001)!.lagMs, 1000);
  // stopped at ~2000: heartbeat 20 is never applied; its age grows, carried forward between lines
  t.push('seen 19 1000 0', 2000);
  t.push('pending 20 100000 1', 2100);
  assert.deepEqual(t.reading(2150), { lagMs: 150, behind: true });
  t.push('pending 20 3100000 31', 5100);
  assert.equal(t.reading(5180)!.lagMs, 3180);
  // started again: 20 and the rest are seen; the pending figure goes
  t.push('seen 20 3200000 30', 5200);
  assert.deepEqual(t.reading(5201), { lagMs: 3200, behind: false });
  t.push('seen 50 2000 0', 5210);
  assert.equal(t.reading(5220)!.lagMs, 2);
});

test('tracker: a silent probe gives no reading (stuck or gone), a seen older heartbeat does not clear a newer pending one', () => {
  const t = new VisibilityTracker(0, 1000);
  t.push('seen 1 1000 0', 0);
  assert.ok(t.reading(1000));
  assert.equal(t.reading(1001), undefined);
  t.push('pending 5 200000 2', 2000);
  t.push('seen 4 150000 1', 2001);
  assert.deepEqual(t.reading(2001), { lagMs: 201, behind: true });
});

test('probe script: the perl source travels base64-encoded with checked arguments', () => {
  const script = visibilityProbeScript({ host: '10.0.1.3', maxSeconds: 90.2 });
  const m = /^exec perl -e "\$\(echo ([A-Za-z0-9+/=]+) \| base64 -d\)" (.*)$/.exec(script);
  assert.ok(m, script.slice(0, 80));
  assert.equal(Buffer.from(m[1]!, 'base64').toString('utf8'), fs.readFileSync(new URL('../../chaos/measure/lag-visibility.pl', import.meta.url), 'utf8'));
  assert.equal(m[2], '10.0.1.3 3306 100 600 91 tododb 2');
  assert.throws(() => visibilityProbeScript({ host: '10.0.1.3; rm -rf /', maxSeconds: 5 }), /bad replica address/);
  assert.throws(() => visibilityProbeScript({ host: 'db', maxSeconds: 5, db: 'x y' }), /bad argument/);
});

test('report: the probe rate and outage resolution come from the samples; the lag method per replica', async () => {
  const { analyzeProbe, analyzeLag } = await import('../../reports/chaos-analysis.ts');
  const samples = [];
  for (const conn of ['keepalive', 'fresh'] as const) for (let i = 0; i < 50; i++) samples.push({ t: 1000 + i * 40 + (i % 2), endpoint: 'api-list', conn, ok: true, status: 200, ms: 3 });
  const p = analyzeProbe(samples, [{ experiment: 'x', phase: 'all', start: 0, end: 10_000 }]);
  assert.equal(p.ratePerSec, 25);
  assert.equal(p.resolutionMs, 40);
  const s = (t: number, replica: string, lagMethod?: 'visibility' | 'heartbeat-age') => ({ t, replica, heartbeatLagMs: 1, secondsBehindMaster: 0, ioRunning: true, sqlRunning: true, ...(lagMethod ? { lagMethod } : {}) });
  const lag = analyzeLag([s(0, 'a', 'visibility'), s(100, 'a', 'visibility'), s(0, 'b', 'visibility'), s(100, 'b', 'heartbeat-age'), s(0, 'c')]);
  assert.deepEqual(lag.replicas.map((r) => [r.replica, r.method]), [['a', 'visibility'], ['b', 'mixed'], ['c', 'heartbeat-age']]);
});

test('report: one phrase on how the lag was measured, none for runs before the method was recorded', async () => {
  const { lagMethodNote } = await import('../../reports/render/lag-note.ts');
  assert.match(lagMethodNote([{ method: 'visibility' }, { method: 'visibility' }]), /one clock: ~1 ms resolution/);
  assert.match(lagMethodNote([{ method: 'heartbeat-age' }]), /100 ms resolution/);
  assert.match(lagMethodNote([{ method: 'visibility' }, { method: 'mixed' }]), /while it did not answer/);
  assert.equal(lagMethodNote([{}]), '');
});
