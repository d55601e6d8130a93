// SLO validation: the shipped file is valid; unknown metric/tag/endpoint names and malformed
// entries are rejected before the run, each error naming the entry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import defaultSlo from '../../load/slo.ts';
import { loadSlo, parseThresholdFlag, validateSlo, withExtraThresholds } from '../../load/run/slo.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';

const base = { endpoints: { 'api-list': { latency: { p95: 300 } } } };

function rejects(raw: unknown, ...patterns: RegExp[]) {
  assert.throws(
    () => validateSlo(raw, 'test-slo.ts'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /^SLO test-slo\.ts:/);
      for (const p of patterns) assert.match(err.message, p);
      return true;
    },
  );
}

test('the shipped load/slo.ts is valid', async () => {
  assert.deepEqual(validateSlo(defaultSlo, 'load/slo.ts'), defaultSlo);
  const loaded = await loadSlo();
  assert.ok(loaded.endpoints['api-list']);
});

test('unknown endpoint in endpoints is named with the known ones', () => {
  rejects({ endpoints: { 'api-lst': { errorRate: 0.01 } } }, /endpoints\["api-lst"\]: unknown endpoint "api-lst"; expected one of api-list/);
});

test('unknown metric in thresholds is named', () => {
  rejects({ ...base, thresholds: { http_req_duratoin: ['p(95)<1'] } }, /thresholds\["http_req_duratoin"\]: unknown metric "http_req_duratoin"/);
});

test('unknown tag key in a threshold is named', () => {
  rejects({ ...base, thresholds: { 'http_req_duration{endpiont:api-list}': ['p(95)<1'] } }, /unknown tag "endpiont"; expected one of endpoint/);
});

test('unknown endpoint tag value in a threshold is named', () => {
  rejects({ ...base, thresholds: { 'http_req_failed{endpoint:web-idx}': ['rate<0.1'] } }, /thresholds\["http_req_failed\{endpoint:web-idx\}"\]: unknown endpoint "web-idx"/);
});

test('malformed key and malformed expression are named', () => {
  rejects({ ...base, thresholds: { 'http_req_duration{endpoint}': ['p(95)<1'] } }, /expected "metric" or "metric\{tag:value,...\}", got "http_req_duration\{endpoint\}"/);
  rejects({ ...base, thresholds: { http_req_duration: ['p95 below 300'] } }, /thresholds\["http_req_duration"\]\[0\]: expected "<aggregation> <op> <number>"/);
});

test('aggregation that does not fit the metric type is named', () => {
  rejects({ ...base, thresholds: { http_req_failed: ['p(95)<0.1'] } }, /aggregation "p\(95\)" does not apply to rate metric http_req_failed/);
  rejects({ ...base, thresholds: { dropped_iterations: ['avg<1'] } }, /does not apply to counter metric dropped_iterations/);
});

test('bad latency key, ratio out of range, unknown field are named', () => {
  rejects({ endpoints: { 'api-list': { latency: { p95ms: 300 } } } }, /endpoints\["api-list"\]\.latency\.p95ms: expected p50, p90, p95/);
  rejects({ endpoints: { 'api-list': { errorRate: 5 } } }, /endpoints\["api-list"\]\.errorRate:/);
  rejects({ endpoints: { 'api-list': { latencyP95: 5 } } }, /endpoints\["api-list"\]: unknown key\(s\) "latencyP95"/);
  rejects({ endpoints: {}, generator: { maxDroppedRatio: -1 } }, /generator\.maxDroppedRatio/);
  rejects({ endpoints: {}, extra: 1 }, /unknown key\(s\) "extra"/);
  rejects({}, /endpoints/);
});

test('every problem is reported at once', () => {
  rejects(
    { endpoints: { nope: {} }, thresholds: { foo: ['p(95)<1'], 'checks{bar:x}': ['rate>0.9'] } },
    /endpoints\["nope"\]/,
    /unknown metric "foo"/,
    /unknown tag "bar"/,
  );
});

test('--threshold: parsed, validated and added to the SLO thresholds', () => {
  assert.deepEqual(parseThresholdFlag('http_req_duration{endpoint:api-list}=p(99)<1'), ['http_req_duration{endpoint:api-list}', 'p(99)<1']);
  assert.deepEqual(parseThresholdFlag('dropped_iterations=count<=0'), ['dropped_iterations', 'count<=0']);
  assert.throws(() => parseThresholdFlag('http_req_duration'), /--threshold: expected "metric\{tag:value\}=expression"/);
  assert.throws(() => parseThresholdFlag('nope=p(95)<1'), /--threshold "nope=p\(95\)<1": unknown metric "nope"/);
  const slo = withExtraThresholds({ endpoints: {}, thresholds: { checks: ['rate>0.9'] } }, ['checks=rate>0.99']);
  assert.deepEqual(slo.thresholds?.checks, ['rate>0.9', 'rate>0.99']);
});

test('loadSlo: JSON files, missing files and missing default export', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-slo-'));
  const json = path.join(dir, 'slo.json');
  fs.writeFileSync(json, JSON.stringify(base));
  assert.deepEqual(await loadSlo(json), base);
  await assert.rejects(loadSlo(path.join(dir, 'missing.ts')), /--slo: expected an existing SLO file/);
  const noDefault = path.join(dir, 'nodefault.mjs');
  fs.writeFileSync(noDefault, 'export const x = 1;\n');
  await assert.rejects(loadSlo(noDefault), /expected a default export/);
  const badJs = path.join(dir, 'bad.mjs');
  fs.writeFileSync(badJs, `export default { endpoints: { 'api-list': {} }, thresholds: { nope: ['p(95)<1'] } };\n`);
  await assert.rejects(loadSlo(badJs), /bad\.mjs:\n {2}thresholds\["nope"\]: unknown metric/);
});
