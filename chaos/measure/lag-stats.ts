// Pure: replication lag per phase and replica: max / p95 heartbeat lag (ms), max
// Seconds_Behind_Master, and whether replication was stopped (a thread not running) at any sample.
import type { LagSample, Phase } from '../../scripts/lib/run-folder.ts';

export interface LagStat {
  phase: string;
  replica: string;
  samples: number;
  /** samples with a heartbeat reading */
  measured: number;
  maxLagMs: number | null;
  p95LagMs: number | null;
  lastLagMs: number | null;
  maxSecondsBehindMaster: number | null;
  stopped: boolean;
  stoppedSamples: number;
  errors: number;
}

/** Nearest-rank percentile (q in 0..1) of a non-empty list. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function lagStats(samples: LagSample[], phases: Phase[]): LagStat[] {
  const replicas = [...new Set(samples.map((s) => s.replica))].sort();
  const lastEnd = Math.max(...phases.map((p) => p.end));
  const out: LagStat[] = [];
  for (const p of phases) {
    for (const replica of replicas) {
      const list = samples
        .filter((s) => s.replica === replica && s.t >= p.start && (s.t < p.end || (p.end === lastEnd && s.t === p.end)))
        .sort((a, b) => a.t - b.t);
      if (!list.length) continue;
      const lags = list.map((s) => s.heartbeatLagMs).filter((v): v is number => v !== null);
      const sbm = list.map((s) => s.secondsBehindMaster).filter((v): v is number => v !== null);
      // a sample the sampler could not read says nothing about the threads
      const stoppedSamples = list.filter((s) => !s.error && (!s.ioRunning || !s.sqlRunning)).length;
      out.push({
        phase: p.name,
        replica,
        samples: list.length,
        measured: lags.length,
        maxLagMs: lags.length ? lags.reduce((a, b) => Math.max(a, b)) : null,
        p95LagMs: lags.length ? percentile(lags, 0.95) : null,
        lastLagMs: lags.length ? lags[lags.length - 1]! : null,
        maxSecondsBehindMaster: sbm.length ? sbm.reduce((a, b) => Math.max(a, b)) : null,
        stopped: stoppedSamples > 0,
        stoppedSamples,
        errors: list.filter((s) => s.error).length,
      });
    }
  }
  return out;
}
