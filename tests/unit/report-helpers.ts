// Shared by the report tests: fixture paths, temp dirs, and an in-memory "run -> baseline" for
// simulating the comparison rule over many seeds without writing k6 files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Baseline } from '../../reports/baseline.ts';
import { simulateRequests, type LoadRunSpec } from '../../reports/fixtures/generate.ts';
import { loadRun } from '../../reports/load-run.ts';
import type { RunResult } from '../../reports/model.ts';
import { QuantileSketch } from '../../reports/stats.ts';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtureRuns = path.join(repo, 'reports', 'fixtures', 'runs');
export const k6Reference = path.join(repo, 'reports', 'fixtures', 'k6-reference');
export const FIXTURES = ['load-mixed', 'gameday-two', 'load-incomplete'] as const;

export function tmpDir(prefix = 'gameday-report-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const NOW = new Date('2026-01-16T00:00:00.000Z');
const cache = new Map<string, Promise<RunResult>>();
/** RunResult of a committed fixture (loaded once per test file). */
export function fixture(name: (typeof FIXTURES)[number]): Promise<RunResult> {
  let p = cache.get(name);
  if (!p) cache.set(name, (p = loadRun(path.join(fixtureRuns, name), { now: NOW })));
  return p;
}

/** What loadRun + toBaseline give for a simulated run, computed directly (fast, for many seeds). */
export function simulatedBaseline(spec: LoadRunSpec): Baseline {
  const reqs = simulateRequests(spec);
  const endpoints = [...new Set(reqs.map((r) => r.endpoint))].sort();
  return {
    format: 'swarm-gameday-baseline',
    schemaVersion: 1,
    name: `seed ${spec.seed}`,
    createdAt: NOW.toISOString(),
    source: { runId: `sim-${spec.seed}`, kind: 'load', profile: 'load', scenario: 'mixed', experiment: null, git: null, target: null, startedAt: '', complete: true, verdict: 'pass' },
    bucketMs: 1000,
    durationMs: spec.durationS * 1000,
    totals: { requests: reqs.length, rps: reqs.length / spec.durationS, failedRate: 0 },
    endpoints: endpoints.map((endpoint) => {
      const mine = reqs.filter((r) => r.endpoint === endpoint);
      const all = new QuantileSketch();
      const perSec = new Map<number, QuantileSketch>();
      for (const r of mine) {
        all.add(r.durationMs);
        const k = Math.floor(r.t / 1000);
        if (!perSec.has(k)) perSec.set(k, new QuantileSketch());
        perSec.get(k)!.add(r.durationMs);
      }
      const keys = [...perSec.keys()].sort((a, b) => a - b).slice(1, -1);
      const q = (p: number) => keys.map((k) => perSec.get(k)!.quantile(p)!);
      const failed = mine.filter((r) => r.status === 0 || r.status >= 400).length;
      return {
        endpoint,
        requests: mine.length,
        failed,
        errorRate: failed / mine.length,
        rps: mine.length / spec.durationS,
        latency: { p50: all.quantile(0.5), p90: all.quantile(0.9), p95: all.quantile(0.95), p99: all.quantile(0.99), max: all.max },
        buckets: { n: keys.map((k) => perSec.get(k)!.count), p50: q(0.5), p95: q(0.95), p99: q(0.99) },
      };
    }),
    thresholds: [],
    verdicts: [],
    availability: [],
  };
}
