// The k6 parsers against what the real k6 v1.8.1 wrote (reports/fixtures/k6-reference/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { parseK6Summary, parseMetricName, parseThresholdExpression } from '../../reports/k6-summary.ts';
import { TimeseriesAggregator, errorKind, niceWidth, readTimeseriesFile } from '../../reports/k6-timeseries.ts';
import { loadRun } from '../../reports/load-run.ts';
import { quantile } from '../../reports/stats.ts';
import { k6Reference, tmpDir } from './report-helpers.ts';

const summary = JSON.parse(fs.readFileSync(path.join(k6Reference, 'summary.json'), 'utf8'));
const exported = JSON.parse(fs.readFileSync(path.join(k6Reference, 'summary-export.json'), 'utf8'));
const points = zlib
  .gunzipSync(fs.readFileSync(path.join(k6Reference, 'timeseries.json.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

test('metric names and threshold expressions', () => {
  assert.deepEqual(parseMetricName('http_req_duration{endpoint:api-list,method:GET}'), { base: 'http_req_duration', tags: { endpoint: 'api-list', method: 'GET' } });
  assert.deepEqual(parseMetricName('http_req_duration{url:http://x:1/a}'), { base: 'http_req_duration', tags: { url: 'http://x:1/a' } });
  assert.deepEqual(parseMetricName('checks'), { base: 'checks', tags: {} });
  assert.deepEqual(parseThresholdExpression('p(99.9) < 1500'), { aggregation: 'p(99.9)', operator: '<', limit: 1500 });
  assert.deepEqual(parseThresholdExpression('count<=12'), { aggregation: 'count', operator: '<=', limit: 12 });
  assert.equal(parseThresholdExpression('p(95) < 3 && avg < 2'), null);
});

test('handleSummary data: thresholds with ok flags, values, observers, checks', () => {
  const s = parseK6Summary(summary);
  assert.equal(s.format, 'handleSummary');
  assert.ok(s.durationMs! > 2500 && s.durationMs! < 10_000);
  const th = (metric: string, expr: string) => s.thresholds.find((t) => t.metric === metric && t.expression === expr)!;
  assert.equal(th('http_req_failed{endpoint:api-flaky}', 'rate<0.05').ok, false, 'k6 failed this one (20 % of flaky requests are 503)');
  assert.equal(th('http_req_failed{endpoint:api-flaky}', 'rate<0.05').unit, 'ratio');
  assert.equal(th('read_your_writes_ms', 'p(95)<1').ok, false);
  const p95 = th('http_req_duration{endpoint:api-list}', 'p(95)<500');
  assert.equal(p95.ok, true);
  assert.equal(p95.unit, 'ms');
  assert.equal(p95.actual, summary.metrics['http_req_duration{endpoint:api-list}'].values['p(95)']);
  assert.equal(th('http_req_duration{endpoint:api-list}', 'p(99)<1000').actual, null, 'p(99) is not in the default summaryTrendStats');
  assert.equal(th('http_req_duration{endpoint:api-flaky}', 'max>=0').observer, true);
  assert.equal(th('dropped_iterations', 'count<=1').unit, 'count');
  assert.deepEqual(
    s.checks.map((c) => c.name),
    ['api-list: status 200'],
  );
  assert.ok(s.metrics.get('http_reqs')!.values.count > 100);
});

test('--summary-export (true = failed there) gives the same verdicts as handleSummary', () => {
  const a = parseK6Summary(summary);
  const b = parseK6Summary(exported);
  assert.equal(b.format, 'summary-export');
  assert.equal(b.thresholds.length, a.thresholds.length);
  for (const t of a.thresholds) {
    const u = b.thresholds.find((x) => x.metric === t.metric && x.expression === t.expression);
    assert.ok(u, `${t.metric} ${t.expression}`);
    assert.equal(u.ok, t.ok, `${t.metric} ${t.expression}`);
  }
  assert.equal(b.metrics.get('http_req_failed{endpoint:api-flaky}')!.values.rate, a.metrics.get('http_req_failed{endpoint:api-flaky}')!.values.rate);
});

test('a non-summary is refused', () => {
  assert.throws(() => parseK6Summary({ foo: 1 }), /metrics/);
  assert.throws(() => parseK6Summary(null), /metrics/);
});

test('the time series of a real run folds into buckets that agree with k6 itself', async () => {
  const dir = tmpDir();
  fs.copyFileSync(path.join(k6Reference, 'summary.json'), path.join(dir, 'k6-summary.json'));
  fs.copyFileSync(path.join(k6Reference, 'timeseries.json.gz'), path.join(dir, 'k6-timeseries.json.gz'));
  const r = await loadRun(dir);
  const k6 = r.k6!;
  const ep = (name: string) => k6.endpoints.find((e) => e.endpoint === name)!;
  // exact percentiles: our per-endpoint figure from raw points equals k6's submetric
  const sub = summary.metrics['http_req_duration{endpoint:api-list}'].values;
  assert.ok(Math.abs(ep('api-list').latency.p95! - sub['p(95)']) < 1e-3, `${ep('api-list').latency.p95} vs ${sub['p(95)']}`);
  assert.ok(Math.abs(ep('api-list').latency.p50! - sub.med) < 1e-3);
  assert.equal(ep('api-list').requests + ep('api-flaky').requests, summary.metrics.http_reqs.values.count);
  assert.equal(ep('api-flaky').failed, summary.metrics['http_req_failed{endpoint:api-flaky}'].values.passes);
  // the p(99) k6 left out of the summary is computed from the points
  const raw = points.filter((p) => p.type === 'Point' && p.metric === 'http_req_duration' && p.data.tags.endpoint === 'api-list').map((p) => p.data.value);
  const p99 = k6.thresholds.find((t) => t.expression === 'p(99)<1000')!;
  assert.ok(Math.abs(p99.actual! - quantile(raw, 0.99)!) < 1e-3);
  const ts = r.timeseries!;
  assert.equal(ts.bucketMs, 1000);
  assert.equal(ts.overall.reduce((a, b) => a + b.n, 0), summary.metrics.http_reqs.values.count);
  assert.equal(
    ts.errors.reduce((a, e) => a + (e.kinds['5xx'] ?? 0), 0),
    summary.metrics['http_req_failed{endpoint:api-flaky}'].values.passes,
  );
  assert.deepEqual(ts.custom.map((c) => c.metric), ['read_your_writes_ms']);
  assert.deepEqual(ts.byFault.map((f) => f.fault).sort(), ['kill-tasks:todo_app_api', 'none']);
  assert.equal(r.verdict.status, 'fail');
  assert.ok(r.verdict.reasons.some((x) => x.includes('read_your_writes_ms')));
});

test('aggregator: half-written lines are skipped and counted, long runs get wider buckets', () => {
  const agg = new TimeseriesAggregator({ bucketMs: 1000, maxBuckets: 100 });
  agg.line('{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}');
  const t0 = Date.UTC(2026, 0, 1);
  for (let s = 0; s < 7200; s += 5)
    agg.line(JSON.stringify({ metric: 'http_req_duration', type: 'Point', data: { time: new Date(t0 + s * 1000).toISOString(), value: 10 + (s % 7), tags: { endpoint: 'api-list' } } }));
  agg.line('{"metric":"http_req_duration","type":"Point","data":{"time":"2026-01-01T0');
  const out = agg.finish();
  assert.equal(out.badLines, 1);
  assert.equal(out.series.bucketMs, 120_000, '2 h in at most 100 buckets -> 72 s -> rounded up to 2 min');
  assert.equal(out.series.overall.length, 60);
  assert.equal(out.series.overall.reduce((a, b) => a + b.n, 0), 1440);
  assert.equal(niceWidth(1001), 2000);
  assert.equal(niceWidth(7_000_000), 7_200_000);
});

test('failure kinds from k6 tags', () => {
  assert.equal(errorKind({ status: '503' }), '5xx');
  assert.equal(errorKind({ status: '404' }), '4xx');
  assert.equal(errorKind({ status: '0', error_code: '1211' }), 'connect');
  assert.equal(errorKind({ status: '0', error_code: '1050' }), 'timeout');
  assert.equal(errorKind({ status: '0', error_code: '1000' }), 'network');
});

test('a truncated gzip (killed run) is read as far as it goes and reported', async () => {
  const dir = tmpDir();
  const full = fs.readFileSync(path.join(k6Reference, 'timeseries.json.gz'));
  const file = path.join(dir, 'cut.json.gz');
  fs.writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.6)));
  const { aggregate, problem } = await readTimeseriesFile(file);
  assert.match(problem!, /unexpected end of file/);
  assert.ok(aggregate.lines > 100, `read ${aggregate.lines} lines before the cut`);
});
