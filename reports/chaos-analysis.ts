// Turns the chaos runner's raw records (journal, probe samples, lag samples, placement samples,
// HAProxy snapshots) into the report's figures. Pure: arrays in, sections out.
import type {
  ChaosJournal,
  HaproxyCounters,
  LagSample,
  PlacementSample,
  ProbeSample,
  RwLagSample,
} from '../scripts/lib/run-folder.ts';
import type {
  ExperimentSummary,
  FaultWindow,
  HaproxySection,
  LagSection,
  PhaseAvailability,
  PlacementSection,
  ProbeSection,
  RwLagSection,
} from './model.ts';
import { quantile, round } from './stats.ts';

/** journal.json holds one ChaosJournal (chaos) or several (gameday: an array or { experiments }). */
export function normalizeJournals(raw: unknown): ChaosJournal[] {
  const list = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object' && Array.isArray((raw as { experiments?: unknown }).experiments)
      ? (raw as { experiments: unknown[] }).experiments
      : raw && typeof raw === 'object'
        ? [raw]
        : [];
  return list.filter((j): j is ChaosJournal => !!j && typeof j === 'object' && typeof (j as ChaosJournal).experiment === 'string');
}

export function experimentSummaries(journals: ChaosJournal[]): ExperimentSummary[] {
  return journals.map((j) => ({
    experiment: j.experiment,
    status: j.status,
    deviated: !!j.deviated,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt ?? null,
    steadyStateBefore: j.steadyStateBefore ?? null,
    steadyStateAfter: j.steadyStateAfter ?? null,
    phases: (j.phases ?? []).map((p) => ({ name: p.name, start: p.start, end: p.end })),
    rollbacks: (j.rollbacks ?? []).map((r) => ({ fault: r.fault, ok: r.ok, error: r.error ?? null })),
    recovery: (j.recovery ?? []).map((r) => ({ service: r.service, backAtDesiredMs: r.backAtDesiredMs ?? null })),
    steadyStateRecoveredMs: j.steadyStateRecoveredMs ?? null,
    error: j.error ?? null,
  }));
}

export function faultWindows(journals: ChaosJournal[]): FaultWindow[] {
  return journals
    .flatMap((j) =>
      (j.faults ?? []).map((f) => ({ experiment: j.experiment, name: f.name, target: f.target ?? null, description: f.description ?? null, start: f.start, end: f.end ?? null })),
    )
    .sort((a, b) => a.start - b.start);
}

interface Outage {
  start: number;
  end: number;
}

/** Outages of one stream of samples: from a failure to the next success. */
export function outages(samples: readonly ProbeSample[]): Outage[] {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const out: Outage[] = [];
  let open: number | null = null;
  for (const s of sorted) {
    if (!s.ok && open === null) open = s.t;
    else if (s.ok && open !== null) {
      out.push({ start: open, end: s.t });
      open = null;
    }
  }
  if (open !== null) {
    const last = sorted[sorted.length - 1];
    out.push({ start: open, end: Math.max(last.t + (last.ms || 0), open) });
  }
  return out;
}

function clippedLongest(list: Outage[], start: number, end: number): number {
  let best = 0;
  for (const o of list) {
    const len = Math.min(end, o.end) - Math.max(start, o.start);
    if (len > best) best = len;
  }
  return best;
}

export interface PhaseWindow {
  experiment: string;
  phase: string;
  start: number;
  end: number;
}

export function analyzeProbe(samples: readonly ProbeSample[], phases: PhaseWindow[]): ProbeSection {
  const streams = new Map<string, ProbeSample[]>();
  for (const s of samples) {
    const k = `${s.endpoint}\u0000${s.conn}`;
    let list = streams.get(k);
    if (!list) streams.set(k, (list = []));
    list.push(s);
  }
  const streamOutages = new Map<string, Outage[]>();
  for (const [k, list] of streams) streamOutages.set(k, outages(list));
  const endpoints = [...new Set(samples.map((s) => s.endpoint))].sort();
  const conns = [...new Set(samples.map((s) => s.conn))].sort();
  let tMin = samples.length ? Infinity : 0;
  let tMax = 0;
  for (const s of samples) {
    if (s.t < tMin) tMin = s.t;
    if (s.t + (s.ms || 0) + 1 > tMax) tMax = s.t + (s.ms || 0) + 1;
  }

  const row = (w: PhaseWindow, endpoint: string, conn: string): PhaseAvailability => {
    const match = (s: ProbeSample) => (endpoint === '*' || s.endpoint === endpoint) && (conn === '*' || s.conn === conn);
    const inside = samples.filter((s) => s.t >= w.start && s.t < w.end && match(s));
    const ok = inside.filter((s) => s.ok).length;
    const failures: Record<string, number> = {};
    for (const s of inside)
      if (!s.ok) {
        // dropped = the probe could not even send (client stall): failed, and said so
        const kind = s.dropped ? 'dropped' : (s.error ?? (s.status ? `status` : 'other'));
        const label = kind === 'status' && s.status ? `http ${s.status}` : kind;
        failures[label] = (failures[label] ?? 0) + 1;
      }
    let longest = 0;
    for (const [k, list] of streamOutages) {
      const [e, c] = k.split('\u0000');
      if ((endpoint === '*' || e === endpoint) && (conn === '*' || c === conn)) longest = Math.max(longest, clippedLongest(list, w.start, w.end));
    }
    return {
      experiment: w.experiment,
      phase: w.phase,
      start: w.start,
      end: w.end,
      endpoint,
      conn,
      requests: inside.length,
      ok,
      availability: inside.length ? round(ok / inside.length, 6) : null,
      longestOutageMs: Math.round(longest),
      failures,
    };
  };

  const whole: PhaseWindow = { experiment: '*', phase: 'whole run', start: tMin, end: tMax };
  const overall = [row(whole, '*', '*')];
  for (const e of endpoints) for (const c of conns) overall.push(row(whole, e, c));
  const perPhase: PhaseAvailability[] = [];
  for (const w of phases) {
    perPhase.push(row(w, '*', '*'));
    for (const e of endpoints) perPhase.push(row(w, e, '*'));
  }

  const perSecond = new Map<string, { t: number; endpoint: string; ok: number; failed: number }>();
  for (const s of samples) {
    const t = Math.floor(s.t / 1000) * 1000;
    const k = `${t}\u0000${s.endpoint}`;
    let b = perSecond.get(k);
    if (!b) perSecond.set(k, (b = { t, endpoint: s.endpoint, ok: 0, failed: 0 }));
    if (s.ok) b.ok++;
    else b.failed++;
  }
  const timeseries = [...perSecond.values()].sort((a, b) => a.t - b.t || a.endpoint.localeCompare(b.endpoint));
  const ratePerSec = probeRate(streams);
  return { samples: samples.length, ratePerSec, resolutionMs: ratePerSec ? round(1000 / ratePerSec) : null, endpoints, overall, perPhase, timeseries };
}

/** The probe's send rate per stream (endpoint x connection kind), from the spacing of its samples. */
export function probeRate(streams: Map<string, readonly ProbeSample[]>): number | null {
  const rates: number[] = [];
  for (const list of streams.values()) {
    if (list.length < 3) continue;
    const ts = list.map((s) => s.t).sort((a, b) => a - b);
    const span = ts[ts.length - 1]! - ts[0]!;
    if (span > 0) rates.push(((ts.length - 1) * 1000) / span);
  }
  if (!rates.length) return null;
  rates.sort((a, b) => a - b);
  // the schedule is open-loop at a fixed rate: round off the jitter of the send times
  return Math.round(rates[Math.floor(rates.length / 2)]! * 10) / 10;
}

const MAX_LAG_POINTS = 1500;

export function analyzeLag(samples: readonly LagSample[]): LagSection {
  const byReplica = new Map<string, LagSample[]>();
  for (const s of samples) {
    let l = byReplica.get(s.replica);
    if (!l) byReplica.set(s.replica, (l = []));
    l.push(s);
  }
  const replicas = [...byReplica.keys()].sort().map((replica) => {
    const list = byReplica.get(replica)!.sort((a, b) => a.t - b.t);
    const lags = list.map((s) => s.heartbeatLagMs).filter((v): v is number => typeof v === 'number');
    let notReplicatingMs = 0;
    // a sample the sampler could not read says nothing about the threads: not counted as stopped
    for (let i = 0; i + 1 < list.length; i++) if (!list[i].error && (!list[i].ioRunning || !list[i].sqlRunning)) notReplicatingMs += list[i + 1].t - list[i].t;
    const methods = new Set(list.map((s) => s.lagMethod ?? 'heartbeat-age'));
    return {
      replica,
      method: methods.size > 1 ? ('mixed' as const) : ([...methods][0] ?? 'heartbeat-age'),
      samples: downsampleMax(list.map((s) => [s.t, s.heartbeatLagMs, s.secondsBehindMaster] as [number, number | null, number | null])),
      maxLagMs: lags.length ? round(lags.reduce((a, b) => Math.max(a, b))) : null,
      p95LagMs: round(quantile(lags, 0.95)),
      notReplicatingMs: Math.round(notReplicatingMs),
    };
  });
  return { replicas };
}

/** Keeps at most MAX_LAG_POINTS points, each the worst lag of its window, so spikes stay visible. */
function downsampleMax(points: [number, number | null, number | null][]): [number, number | null, number | null][] {
  if (points.length <= MAX_LAG_POINTS) return points.map(([t, h, s]) => [t, round(h), s]);
  const per = Math.ceil(points.length / MAX_LAG_POINTS);
  const out: [number, number | null, number | null][] = [];
  for (let i = 0; i < points.length; i += per) {
    const win = points.slice(i, i + per);
    const worst = win.reduce((a, b) => ((b[1] ?? -1) > (a[1] ?? -1) ? b : a));
    out.push([win[0][0], round(worst[1]), worst[2]]);
  }
  return out;
}

export function analyzeRwLag(samples: readonly RwLagSample[]): RwLagSection {
  const seen = samples.map((s) => s.visibleMs).filter((v): v is number => typeof v === 'number');
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const per = Math.max(1, Math.ceil(sorted.length / MAX_LAG_POINTS));
  const p99 = quantile(seen, 0.99) ?? Infinity;
  return {
    count: samples.length,
    notVisible: samples.length - seen.length,
    p50: round(quantile(seen, 0.5)),
    p95: round(quantile(seen, 0.95)),
    max: seen.length ? round(seen.reduce((a, b) => Math.max(a, b))) : null,
    // keep every not-visible sample and the worst of each window, so the chart shows the spikes
    samples: sorted
      .filter((s, i) => s.visibleMs === null || i % per === 0 || s.visibleMs >= p99)
      .map((s) => [s.t, round(s.visibleMs)] as [number, number | null]),
  };
}

export const UNASSIGNED = '(not scheduled)';

export function analyzePlacement(samples: readonly PlacementSample[]): PlacementSection {
  // a task not yet scheduled has no node: give it its own row rather than none
  const sorted = [...samples].map((s) => (s.node ? s : { ...s, node: UNASSIGNED })).sort((a, b) => a.t - b.t);
  const end = sorted.length ? sorted[sorted.length - 1].t : 0;
  const byTask = new Map<string, PlacementSample[]>();
  for (const s of sorted) {
    let l = byTask.get(s.task);
    if (!l) byTask.set(s.task, (l = []));
    l.push(s);
  }
  const segments: PlacementSection['segments'] = [];
  let changes = 0;
  for (const list of byTask.values()) {
    let cur = list[0];
    let start = cur.t;
    for (let i = 1; i <= list.length; i++) {
      const next = list[i];
      if (next && next.node === cur.node && next.state === cur.state) continue;
      segments.push({ service: cur.service, task: cur.task, slot: cur.slot ?? null, node: cur.node, state: cur.state, start, end: next ? next.t : Math.max(end, start) });
      if (next) {
        changes++;
        cur = next;
        start = next.t;
      }
    }
  }
  segments.sort((a, b) => a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || a.start - b.start);
  const nodes = [...new Set(sorted.map((s) => s.node))].sort((a, b) => (a === UNASSIGNED ? 1 : b === UNASSIGNED ? -1 : a.localeCompare(b)));
  return {
    nodes,
    services: [...new Set(sorted.map((s) => s.service))].sort(),
    segments,
    changes,
  };
}

export function analyzeHaproxy(snapshots: readonly HaproxyCounters[]): HaproxySection {
  const sorted = [...snapshots].sort((a, b) => a.t - b.t);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const deltas: HaproxySection['deltas'] = [];
  if (first && last)
    for (const b of last.backends) {
      const a = first === last ? undefined : first.backends.find((x) => x.name === b.name);
      deltas.push({
        backend: b.name,
        retries: b.retries - (a?.retries ?? 0),
        redispatches: b.redispatches - (a?.redispatches ?? 0),
        http5xx: b.http5xx - (a?.http5xx ?? 0),
        requests: b.requests - (a?.requests ?? 0),
      });
    }
  return { snapshots: sorted, deltas };
}
