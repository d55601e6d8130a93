// Pure: availability per phase from probe samples. An outage is measured per probe stream
// (endpoint x connection mode) from its first failed request to its next successful one; outages
// are found on the whole timeline and then clipped to each phase, so one that started before a
// phase or was still going at its end counts within that phase too.
import type { Phase, ProbeSample } from '../../scripts/lib/run-folder.ts';

export type FailureKind = NonNullable<ProbeSample['error']>;

export interface Outage {
  stream: string; // "<endpoint>/<conn>"
  start: number;
  end: number;
  ongoing: boolean; // no success came after it within the samples
  failed: number;
}

export interface PhaseStat {
  phase: string;
  start: number;
  end: number;
  requests: number;
  failed: number;
  /** share of requests that succeeded, 0..1; null when the phase had no requests (not measured) */
  availability: number | null;
  longestOutageMs: number;
  longestOutageStream?: string;
  failedByKind: Partial<Record<FailureKind, number>>;
  byStream: Record<string, { requests: number; failed: number; longestOutageMs: number }>;
}

export function streamOf(s: ProbeSample): string {
  return `${s.endpoint}/${s.conn}`;
}

/** Outage intervals per stream over all samples (any order). */
export function outages(samples: ProbeSample[]): Outage[] {
  const byStream = new Map<string, ProbeSample[]>();
  for (const s of samples) {
    const k = streamOf(s);
    if (!byStream.has(k)) byStream.set(k, []);
    byStream.get(k)!.push(s);
  }
  const out: Outage[] = [];
  for (const [stream, list] of byStream) {
    list.sort((a, b) => a.t - b.t);
    let cur: Outage | undefined;
    let lastFail: ProbeSample | undefined;
    for (const s of list) {
      if (!s.ok) {
        cur ??= { stream, start: s.t, end: s.t, ongoing: true, failed: 0 };
        cur.failed++;
        lastFail = s;
      } else if (cur) {
        out.push({ ...cur, end: s.t, ongoing: false });
        cur = undefined;
      }
    }
    // still failing at the end of the samples: it lasted at least until the last failure's answer
    if (cur && lastFail) out.push({ ...cur, end: Math.max(lastFail.t + lastFail.ms, lastFail.t), ongoing: true });
  }
  return out.sort((a, b) => a.start - b.start);
}

function overlap(o: Outage, start: number, end: number): number {
  return Math.max(0, Math.min(o.end, end) - Math.max(o.start, start));
}

/** Phases are half-open [start, end), except that the last phase also takes samples at its end. */
export function phaseStats(samples: ProbeSample[], phases: Phase[]): PhaseStat[] {
  const all = outages(samples);
  const lastEnd = Math.max(...phases.map((p) => p.end));
  return phases.map((p) => {
    const inPhase = samples.filter((s) => s.t >= p.start && (s.t < p.end || (p.end === lastEnd && s.t === p.end)));
    const stat: PhaseStat = {
      phase: p.name,
      start: p.start,
      end: p.end,
      requests: inPhase.length,
      failed: 0,
      availability: null,
      longestOutageMs: 0,
      failedByKind: {},
      byStream: {},
    };
    for (const s of inPhase) {
      const k = streamOf(s);
      const bs = (stat.byStream[k] ??= { requests: 0, failed: 0, longestOutageMs: 0 });
      bs.requests++;
      if (!s.ok) {
        stat.failed++;
        bs.failed++;
        const kind: FailureKind = s.error ?? 'other';
        stat.failedByKind[kind] = (stat.failedByKind[kind] ?? 0) + 1;
      }
    }
    if (stat.requests) stat.availability = (stat.requests - stat.failed) / stat.requests;
    for (const o of all) {
      const ms = overlap(o, p.start, p.end);
      // a failure exactly at a phase boundary still is an outage of at least one sample
      if (ms <= 0 && !(o.start >= p.start && o.start < p.end)) continue;
      const bs = (stat.byStream[o.stream] ??= { requests: 0, failed: 0, longestOutageMs: 0 });
      bs.longestOutageMs = Math.max(bs.longestOutageMs, ms);
      if (ms > stat.longestOutageMs || (ms === stat.longestOutageMs && !stat.longestOutageStream)) {
        stat.longestOutageMs = ms;
        stat.longestOutageStream = o.stream;
      }
    }
    return stat;
  });
}
