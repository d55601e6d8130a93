// Reading k6's summary and time series, and the terminal summary.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { renderSummary } from '../../load/run/render.ts';
import { describeFailure, endpointRows, thresholdOutcomes, type K6Summary } from '../../load/run/results.ts';
import { aggregateByWindow, forEachPoint, perSecond, tagTimeseriesWithFaults, windowOf } from '../../load/run/timeseries.ts';

const trend = (p50: number, p95: number, p99: number, count: number) => ({
  type: 'trend' as const,
  values: { 'p(50)': p50, 'p(95)': p95, 'p(99)': p99, med: p50, count, avg: p50, min: 0, max: p99 },
});
const summary: K6Summary = {
  state: { testRunDurationMs: 60_000 },
  metrics: {
    'http_req_duration{endpoint:web-index}': { ...trend(20, 80, 120, 40), thresholds: { 'p(95)<800': { ok: true } } },
    'http_req_duration{endpoint:api-list}': { ...trend(3, 9, 30, 600), thresholds: { 'p(95)<5': { ok: false }, 'max>=0': { ok: true } } },
    'http_req_failed{endpoint:api-list}': { type: 'rate', values: { rate: 0.005, passes: 3, fails: 597 }, thresholds: { 'rate<0.01': { ok: true } } },
    'checks{endpoint:api-list}': { type: 'rate', values: { rate: 0.995, passes: 1194, fails: 6 }, thresholds: { 'rate>=0': { ok: true } } },
    'http_req_duration{endpoint:api-create}': { ...trend(0, 0, 0, 0), thresholds: { 'max>=0': { ok: true } } },
    dropped_iterations: { type: 'counter', values: { count: 12, rate: 0.2 }, thresholds: { 'count<=3': { ok: false } } },
    http_req_duration: trend(4, 50, 100, 640),
  },
};

test('endpoint rows: catalog order, endpoints without requests left out, null where not measured', () => {
  const rows = endpointRows(summary);
  assert.deepEqual(
    rows.map((r) => r.endpoint),
    ['api-list', 'web-index'],
  );
  assert.deepEqual(rows[0], { endpoint: 'api-list', requests: 600, p50: 3, p95: 9, p99: 30, errorRate: 0.005, checks: 0.995 });
  assert.equal(rows[1].errorRate, null);
});

test('threshold outcomes leave out the always-true observers; failures show the observed value', () => {
  const th = thresholdOutcomes(summary);
  assert.deepEqual(
    th.map((t) => `${t.metric}:${t.expression}:${t.ok}`),
    [
      'dropped_iterations:count<=3:false',
      'http_req_duration{endpoint:api-list}:p(95)<5:false',
      'http_req_duration{endpoint:web-index}:p(95)<800:true',
      'http_req_failed{endpoint:api-list}:rate<0.01:true',
    ],
  );
  const failed = th.filter((t) => !t.ok).map((t) => describeFailure(summary, t));
  assert.deepEqual(failed, [
    'threshold dropped_iterations: count<=3 failed (observed 12)',
    'threshold http_req_duration{endpoint:api-list}: p(95)<5 failed (observed 9)',
  ]);
});

test('terminal summary: verdict, table, failures and the folder', () => {
  const th = thresholdOutcomes(summary);
  const text = renderSummary({
    verdict: 'fail',
    scenario: 'mixed',
    profile: 'load',
    target: 'http://127.0.0.1:18080',
    durationS: 60,
    rows: endpointRows(summary),
    thresholds: th,
    failures: ['threshold x failed'],
    dir: 'reports/runs/abc',
    extra: { 'read-your-writes': 'p95 120 ms' },
  });
  assert.match(text, /^FAIL {2}mixed \/ load against http:\/\/127\.0\.0\.1:18080 \(60 s\)/);
  assert.match(text, /thresholds: 2\/4 passed/);
  assert.match(text, /api-list\s*│\s*600\s*│\s*3\.0\s*│\s*9\.0\s*│\s*30\.0\s*│\s*0\.50%\s*│\s*99\.5%/);
  assert.match(text, /read-your-writes: p95 120 ms/);
  assert.match(text, /✗ threshold x failed/);
  assert.match(text, /run folder: reports\/runs\/abc$/);
  assert.doesNotMatch(text, /\u001b\[/, 'no colour codes unless asked');
});

function ndjsonGz(points: { metric: string; t: number; value: number; endpoint?: string }[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-ts-'));
  const f = path.join(dir, 'k6-timeseries.json.gz');
  const lines = [
    JSON.stringify({ type: 'Metric', data: { name: 'http_req_duration', type: 'trend' }, metric: 'http_req_duration' }),
    ...points.map((p) =>
      JSON.stringify({
        metric: p.metric,
        type: 'Point',
        data: { time: new Date(p.t).toISOString(), value: p.value, tags: p.endpoint ? { endpoint: p.endpoint } : {} },
      }),
    ),
  ];
  // a torn last line, as after a kill -9, must be skipped
  fs.writeFileSync(f, zlib.gzipSync(`${lines.join('\n')}\n{"metric":"http_req_dur`));
  return f;
}

test('time series: points are joined with fault windows per endpoint', async () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const pts: { metric: string; t: number; value: number; endpoint?: string }[] = [];
  for (let i = 0; i < 30; i++) {
    const t = t0 + i * 1000;
    const inFault = i >= 10 && i < 20;
    pts.push({ metric: 'http_req_duration', t, value: inFault ? 500 : 10, endpoint: 'api-list' });
    pts.push({ metric: 'http_req_failed', t, value: inFault && i % 2 === 0 ? 1 : 0, endpoint: 'api-list' });
  }
  pts.push({ metric: 'vus', t: t0, value: 3 });
  const file = ndjsonGz(pts);
  let n = 0;
  assert.equal(await forEachPoint(file, () => n++), 61);
  const agg = await aggregateByWindow(file, [{ name: 'kill-api', start: t0 + 10_000, end: t0 + 19_500 }]);
  const fault = agg.find((a) => a.window === 'kill-api');
  const base = agg.find((a) => a.window === 'baseline');
  assert.ok(fault && base);
  assert.equal(fault.requests, 10);
  assert.equal(fault.failed, 5);
  assert.equal(fault.errorRate, 0.5);
  assert.equal(fault.p95, 500);
  assert.equal(base.requests, 20);
  assert.equal(base.failed, 0);
  assert.equal(base.p99, 10);
  const secs = await perSecond(file);
  assert.equal(secs.length, 30);
  assert.deepEqual(secs[12], { t: t0 + 12_000, endpoint: 'api-list', requests: 1, failed: 1 });

  // fault windows written into the samples as a `fault` tag (in place, still gzipped)
  const tagged = await tagTimeseriesWithFaults(file, [{ name: 'kill-api', start: t0 + 10_000, end: t0 + 19_500 }]);
  assert.equal(tagged, 20); // 10 seconds x (duration + failed)
  const byFault = new Map<string, number>();
  let total = 0;
  await forEachPoint(file, (p) => {
    total++;
    if (p.tags.fault) byFault.set(p.tags.fault, (byFault.get(p.tags.fault) ?? 0) + 1);
    if (p.tags.fault) assert.equal(p.tags.endpoint, 'api-list', 'other tags kept');
  });
  assert.equal(total, 61, 'no point lost, the torn line dropped');
  assert.deepEqual([...byFault], [['kill-api', 20]]);
});

test('windowOf: open windows and the latest-started window win', () => {
  const w = [
    { name: 'a', start: 0, end: 100 },
    { name: 'b', start: 50 },
  ];
  assert.equal(windowOf(10, w), 'a');
  assert.equal(windowOf(60, w), 'b');
  assert.equal(windowOf(1000, w), 'b');
  assert.equal(windowOf(-1, w, 'before'), 'before');
});
