import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestOf, parseProcStatus, parseWrk, pct, perVuMiB, ratioGoal, relErr, rowFromSummary, tableQuantile } from '../../scripts/lib/bench-stats.ts';

const WRK = `Running 10s test @ http://127.0.0.1:40000/api/todo?status=TODO
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   655.12us    1.02ms  30.10ms   95.00%
    Req/Sec    12.34k     1.00k   14.00k    70.00%
  Latency Distribution
     50%  470.00us
     75%  700.00us
     90%    1.10ms
     99%    1.20s
  245678 requests in 10.00s, 4.10GB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:  24567.80
Transfer/sec:    420.00MB
`;

test('parseWrk reads requests, rate, percentiles in their units and every error', () => {
  const r = parseWrk(WRK, 'wrk');
  assert.equal(r.requests, 245678);
  assert.equal(r.rps, 24567.8);
  assert.equal(r.p50, 0.47);
  assert.equal(r.p95, null);
  assert.equal(r.p99, 1200);
  assert.equal(r.errors, 10);
});

test('rowFromSummary reads http_reqs, the trend stats and failures', () => {
  const r = rowFromSummary(
    { metrics: { http_reqs: { count: 100, rate: 10 }, http_req_duration: { med: 2, 'p(95)': 5, 'p(99)': 9 }, http_req_failed: { passes: 3, fails: 97 } } },
    'engine',
  );
  assert.deepEqual(r, { tool: 'engine', requests: 100, rps: 10, p50: 2, p95: 5, p99: 9, errors: 3 });
  assert.equal(rowFromSummary({ metrics: {} }, 'x').errors, 0);
});

test('bestOf keeps the fastest round and lists them all', () => {
  const row = (rps: number) => ({ tool: 't', requests: 0, rps, p50: null, p95: null, p99: null, errors: 0 });
  const { best, spread } = bestOf([row(10.4), row(30.6), row(20)]);
  assert.equal(best.rps, 30.6);
  assert.equal(spread, '10 / 31 / 20');
  assert.throws(() => bestOf([]));
});

test('ratioGoal: met at or above the goal, null without both sides', () => {
  assert.deepEqual(ratioGoal('a/b', 90, 100, 0.9), { name: 'a/b', ratio: 0.9, goal: 0.9, met: true });
  assert.equal(ratioGoal('a/b', 89, 100, 0.9).met, false);
  assert.equal(ratioGoal('a/b', 1, 0, 0.9).ratio, null);
  assert.equal(ratioGoal('a/b', undefined, 1, 0.9).met, false);
  assert.equal(ratioGoal('a/b', Number.NaN, 1, 0.9).ratio, null);
});

test('relErr and pct', () => {
  assert.equal(relErr(102, 100), 0.02);
  assert.equal(relErr(98, 100), 0.02);
  assert.equal(relErr(null, 100), null);
  assert.equal(relErr(1, 0), null);
  assert.equal(pct(0.12345), '12.3%');
  assert.equal(pct(0.012345, 2), '1.23%');
  assert.equal(pct(null), '–');
});

test('parseProcStatus reads VmRSS and VmHWM in MiB', () => {
  const s = 'Name:\tgameday-engine\nVmPeak:\t 2000000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n';
  assert.deepEqual(parseProcStatus(s), { rssMiB: 40, hwmMiB: 50 });
  assert.deepEqual(parseProcStatus('Name:\tx\n'), { rssMiB: null, hwmMiB: null });
});

test('perVuMiB is the slope between the two runs', () => {
  assert.equal(perVuMiB({ vus: 10, peakMiB: 40 }, { vus: 210, peakMiB: 140 }), 0.5);
  assert.throws(() => perVuMiB({ vus: 10, peakMiB: 1 }, { vus: 10, peakMiB: 2 }));
});

test('tableQuantile interpolates the fake API latency table', () => {
  const t = '0:5,0.5:20,0.95:60,0.99:120,1:150';
  assert.equal(tableQuantile(t, 0.5), 20);
  assert.equal(tableQuantile(t, 0.95), 60);
  assert.equal(tableQuantile(t, 0.99), 120);
  assert.equal(tableQuantile(t, 0.25), 12.5);
  assert.equal(tableQuantile(t, 0.97), 90);
  assert.throws(() => tableQuantile('0.1:5,1:10', 0.5));
  assert.throws(() => tableQuantile('0:5', 0.5));
  assert.throws(() => tableQuantile('0:x,1:2', 0.5));
});
