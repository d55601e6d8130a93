// Pure: latency of the answered requests per phase (p50 / p95 / max), next to availability, so a
// fault that makes the app slow (partition, packet loss) shows even when nothing fails.
import type { Phase, ProbeSample } from '../scripts/lib/run-folder.ts';
import { percentile } from './measure/lag-stats.ts';

export interface LatencyStat {
  phase: string;
  answered: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export function latencyByPhase(samples: ProbeSample[], phases: Phase[]): LatencyStat[] {
  return phases.map((p) => {
    const ms = samples.filter((s) => s.ok && s.t >= p.start && s.t < p.end).map((s) => s.ms);
    return {
      phase: p.name,
      answered: ms.length,
      p50Ms: ms.length ? Math.round(percentile(ms, 0.5)) : null,
      p95Ms: ms.length ? Math.round(percentile(ms, 0.95)) : null,
      maxMs: ms.length ? Math.round(Math.max(...ms)) : null,
    };
  });
}
