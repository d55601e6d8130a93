import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outages, phaseStats } from '../../chaos/measure/phase-stats.ts';
import type { Phase, ProbeSample } from '../../scripts/lib/run-folder.ts';

/** One stream's samples every 100 ms from t=0; pattern: '.' ok, 'x' failed (status 502), 't' timeout. */
function stream(pattern: string, endpoint = 'api-list', conn: ProbeSample['conn'] = 'keepalive'): ProbeSample[] {
  return [...pattern].map((c, i) => {
    const s: ProbeSample = { t: i * 100, endpoint, conn, ok: c === '.', status: c === '.' ? 200 : c === 'x' ? 502 : 0, ms: 5 };
    if (c === 'x') s.error = 'status';
    if (c === 't') s.error = 'timeout';
    return s;
  });
}

const whole = (end: number): Phase[] => [{ name: 'all', start: 0, end }];

test('phase stats: availability and failures by kind', () => {
  const [s] = phaseStats(stream('....xxt...'), whole(1000));
  assert.equal(s!.requests, 10);
  assert.equal(s!.failed, 3);
  assert.equal(s!.availability, 0.7);
  assert.deepEqual(s!.failedByKind, { status: 2, timeout: 1 });
});

test('phase stats: longest outage runs from the first failure to the next success', () => {
  // failures at 400, 500, 600; next success at 700 -> 300 ms; a single failure at 900 -> 100 ms
  const [s] = phaseStats(stream('....xxx..x.'), whole(1100));
  assert.equal(s!.longestOutageMs, 300);
  assert.equal(s!.longestOutageStream, 'api-list/keepalive');
  assert.deepEqual(
    outages(stream('....xxx..x.')).map((o) => [o.start, o.end, o.failed]),
    [
      [400, 700, 3],
      [900, 1000, 1],
    ],
  );
});

test('phase stats: no failures means 100% and no outage', () => {
  const [s] = phaseStats(stream('..........'), whole(1000));
  assert.equal(s!.availability, 1);
  assert.equal(s!.longestOutageMs, 0);
  assert.equal(s!.longestOutageStream, undefined);
});

test('phase stats: an outage crossing phase boundaries counts in each phase, clipped', () => {
  // failing from 300 to the success at 800
  const samples = stream('...xxxxx..');
  const phases: Phase[] = [
    { name: 'before', start: 0, end: 500 },
    { name: 'fault:x', start: 500, end: 700 },
    { name: 'recovery', start: 700, end: 1000 },
  ];
  const [before, fault, recovery] = phaseStats(samples, phases);
  assert.equal(before!.longestOutageMs, 200); // 300..500
  assert.equal(fault!.longestOutageMs, 200); // 500..700
  assert.equal(recovery!.longestOutageMs, 100); // 700..800
  assert.equal(before!.requests + fault!.requests + recovery!.requests, samples.length);
  assert.equal(fault!.availability, 0);
});

test('phase stats: an outage still going at the end of the samples counts up to the last failure', () => {
  const samples = stream('.....xxxxx');
  samples[9]!.ms = 2000; // the last one timed out after 2 s
  const [s] = phaseStats(samples, whole(10_000));
  assert.equal(s!.longestOutageMs, 900 - 500 + 2000);
  assert.equal(outages(samples)[0]!.ongoing, true);
});

test('phase stats: an outage already going when the phase starts counts from the phase start', () => {
  const samples = stream('xxxxx.....');
  const [, after] = phaseStats(samples, [
    { name: 'a', start: 0, end: 300 },
    { name: 'b', start: 300, end: 1000 },
  ]);
  assert.equal(after!.longestOutageMs, 200); // 300 .. success at 500
});

test('phase stats: streams are judged separately, so successes of one do not hide the outage of another', () => {
  const samples = [...stream('..xxxx....', 'api-list', 'fresh'), ...stream('..........', 'api-list', 'keepalive')];
  const [s] = phaseStats(samples, whole(1000));
  assert.equal(s!.longestOutageMs, 400);
  assert.equal(s!.longestOutageStream, 'api-list/fresh');
  assert.equal(s!.byStream['api-list/keepalive']!.longestOutageMs, 0);
  assert.equal(s!.byStream['api-list/fresh']!.failed, 4);
});

test('phase stats: a phase without samples has no availability (not 100%)', () => {
  const [, empty] = phaseStats(stream('..'), [
    { name: 'a', start: 0, end: 200 },
    { name: 'b', start: 5000, end: 6000 },
  ]);
  assert.equal(empty!.requests, 0);
  assert.equal(empty!.availability, null);
});

test('phase stats: the last phase includes a sample exactly at its end', () => {
  const [s] = phaseStats(stream('.....'), whole(400));
  assert.equal(s!.requests, 5);
});
