// Measurement side of chaos: everything that watches the target while faults happen, on one
// timeline (epoch ms) in the run folder. The chaos runner calls startMeasurements() before the
// first fault, setFault() around each fault, stop() at the end, then checkLostWrites() after
// healing; phaseStats()/lagStats() turn the recorded samples into figures for verdicts.
//
// Interface (as agreed with the chaos core), plus OPTIONAL additions in MeasureContext:
//   allowRemoteTarget, maxDurationMs, probeTimeoutMs, writeTimeoutMs, rwLag, lag, placement,
//   servicePrefixes; live() also returns writes; checkLostWrites takes a LostWriteContext
//   (runDir, swarm, log, signal?, catchUpTimeoutMs?), which a MeasureContext satisfies.
import type Dockerode from 'dockerode';
import type { HaproxyCounters } from '../../scripts/lib/run-folder.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import type { NodeExec } from '../faults/types.ts';
import { HaproxyRecorder } from './haproxy.ts';
import { agentTaskStreams } from './agent-stream.ts';
import { startLagSampler } from './lag.ts';
import { startPlacementSampler } from './placement.ts';
import { startProbe, type ProbeEndpoint, type ProbeStreamResult } from './probe.ts';
import { checkTargetUrl } from './target.ts';
import { startWriter, type WriteApi, type WriterStats } from './writer.ts';

export { checkLostWrites, type LostWriteContext } from './lost-writes.ts';
export { phaseStats, outages, type PhaseStat, type Outage } from './phase-stats.ts';
export { lagStats, type LagStat } from './lag-stats.ts';
export { windowDeltas, counterDelta } from './haproxy-csv.ts';
export { diffWrites } from './write-diff.ts';

export interface MeasureContext {
  runDir: string;
  ingressUrl: string;
  statsUrl?: string;
  statsAuth?: { user: string; password: string };
  swarm: Dockerode;
  signal: AbortSignal;
  /** per endpoint and connection mode (keep-alive, fresh); default 10 */
  probeRatePerSec?: number;
  /** ledger creates per second; default 5; 0 = no writes */
  writeRatePerSec?: number;
  log: (line: string) => void;
  /** the user named a non-loopback ingress/stats URL explicitly */
  allowRemoteTarget?: boolean;
  /** hard cap for every sampler (default 3 h) */
  maxDurationMs?: number;
  probeTimeoutMs?: number; // default 5000
  writeTimeoutMs?: number; // default 5000
  /** read-your-writes lag tracking through the API (default on: poll every 100 ms, wait 10 s) */
  rwLag?: { pollEveryMs: number; maxWaitMs: number } | false;
  /** replication lag sampler (needs the local swarm's node containers, or lagAgent; default on) */
  lag?: boolean;
  /** the lag sampler's streams through the chaos agent (Swarm services, any swarm) instead of the
   *  host engine's node containers: its image and node exec (ChaosContext agent / nodeExec) */
  lagAgent?: { image: () => Promise<string>; exec: NodeExec; owner?: string };
  /** what the probe requests (a target file's probe.endpoints; default the TODO app's) */
  probeEndpoints?: ProbeEndpoint[];
  /** the write ledger's create and list (a target file's writes; default the TODO app's) */
  writeApi?: WriteApi;
  /** the DB services the lag sampler watches (a target file's dbPrimary / dbReplicas roles; default the TODO app's) */
  db?: { primary: string; replica: string };
  placement?: boolean;
  /** placement: only these service name prefixes (default: all services) */
  servicePrefixes?: string[];
}

export interface LiveCounters {
  requests: number;
  errors: number;
  lastError?: string;
  writes?: { attempted: number; acknowledged: number; failed: number };
}

export interface MeasureSummary {
  startedAt: number;
  stoppedAt: number;
  probe: { requests: number; failed: number; dropped: number; streams: ProbeStreamResult[] };
  writes?: WriterStats;
  lag?: { samples: number; replicas: string[] };
  placement?: { changes: number };
  haproxy: HaproxyCounters[];
  /** run-folder files written by the measurements */
  files: string[];
}

export interface Measurements {
  setFault(name: string | undefined): void;
  stop(): Promise<MeasureSummary>;
  live(): LiveCounters;
}

function checkRate(field: string, v: number | undefined, def: number, min: number, max: number): number {
  const r = v ?? def;
  if (!Number.isFinite(r) || r < min || r > max) throw new ConfigError(`${field}: expected a number from ${min} to ${max}, got ${v}`);
  return r;
}

export async function startMeasurements(ctx: MeasureContext): Promise<Measurements> {
  const ingress = checkTargetUrl(ctx.ingressUrl, 'ingressUrl', ctx.allowRemoteTarget);
  const stats = ctx.statsUrl ? checkTargetUrl(ctx.statsUrl, 'statsUrl', ctx.allowRemoteTarget) : undefined;
  const probeRate = checkRate('probeRatePerSec', ctx.probeRatePerSec, 10, 1, 200);
  const writeRate = checkRate('writeRatePerSec', ctx.writeRatePerSec, 5, 0, 100);
  const maxDurationMs = checkRate('maxDurationMs', ctx.maxDurationMs, 3 * 3600_000, 1000, 24 * 3600_000);
  const startedAt = Date.now();

  // one internal stop, also pulled by the caller's signal (Ctrl-C, runner abort)
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  if (ctx.signal.aborted) ac.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  let fault: string | undefined;
  const currentFault = () => fault;
  const haproxy = stats ? new HaproxyRecorder(ctx.runDir, { statsUrl: stats, auth: ctx.statsAuth, log: ctx.log }) : undefined;
  await haproxy?.snapshot('before');

  const probe = startProbe(ctx.runDir, {
    ingressUrl: ingress,
    ratePerSec: probeRate,
    // an answer within 5 s counts as "up"; slowness is not downtime and is reported apart, as
    // per-phase p50/p95 latency (with its own optional tolerance). With 2 s, a brief CPU stall
    // on a 2-core machine running the whole swarm showed up as "downtime" during a good update.
    timeoutMs: ctx.probeTimeoutMs ?? 5000,
    maxDurationMs,
    signal: ac.signal,
    fault: currentFault,
    ...(ctx.probeEndpoints ? { endpoints: ctx.probeEndpoints } : {}),
  });
  const writer =
    writeRate > 0
      ? startWriter(ctx.runDir, {
          ingressUrl: ingress,
          ratePerSec: writeRate,
          ...(ctx.writeApi ? { api: ctx.writeApi } : {}),
          timeoutMs: ctx.writeTimeoutMs ?? 5000,
          maxDurationMs,
          signal: ac.signal,
          fault: currentFault,
          rwLag: ctx.rwLag ?? { pollEveryMs: 100, maxWaitMs: 10_000 },
        })
      : undefined;
  const lagStream = ctx.lagAgent ? agentTaskStreams({ swarm: ctx.swarm, image: ctx.lagAgent.image, exec: ctx.lagAgent.exec, owner: ctx.lagAgent.owner, log: ctx.log }) : undefined;
  const lag =
    ctx.lag === false
      ? undefined
      : startLagSampler(ctx.runDir, {
          swarm: ctx.swarm,
          signal: ac.signal,
          maxDurationMs,
          log: ctx.log,
          stream: lagStream,
          ...(ctx.db ? { service: ctx.db.replica, primaryService: ctx.db.primary } : {}),
          // an agent stream starts as a Swarm task (seconds): the replica's first samples wait longer
          // for its probe, rather than open with 'heartbeat-age' figures
          warmupMs: lagStream ? 15_000 : undefined,
        });
  const placement =
    ctx.placement === false
      ? undefined
      : startPlacementSampler(ctx.runDir, { swarm: ctx.swarm, signal: ac.signal, maxDurationMs, servicePrefixes: ctx.servicePrefixes, log: ctx.log });
  ctx.log(
    `measure: probing ${ingress.origin} at ${probeRate}/s per endpoint and connection mode (outage resolution ${Math.round(1000 / probeRate)} ms; --rate up to 200)` +
      (writer ? `, writing ${writeRate}/s (tag ${writer.tag})` : '') +
      (lag ? `, sampling replication lag (heartbeat write to visible on each replica, ~1 ms resolution${lagStream ? ', through the chaos agent' : ''})` : '') +
      (haproxy ? ', HAProxy counters' : ''),
  );

  let stopping: Promise<MeasureSummary> | undefined;
  return {
    setFault(name) {
      if (name === fault || stopping) return;
      if (fault) void haproxy?.snapshot(`fault-end:${fault}`);
      if (name) void haproxy?.snapshot(`fault-start:${name}`);
      fault = name;
    },
    live() {
      const l: LiveCounters = probe.live();
      if (writer) {
        const w = writer.live();
        l.writes = { attempted: w.attempted, acknowledged: w.acknowledged, failed: w.failed };
      }
      return l;
    },
    stop() {
      stopping ??= (async () => {
        if (fault) void haproxy?.snapshot(`fault-end:${fault}`);
        fault = undefined;
        ac.abort();
        ctx.signal.removeEventListener('abort', onAbort);
        const [streams, writes, lagRes, placementRes] = await Promise.all([probe.done, writer?.done, lag?.done, placement?.done]);
        await haproxy?.snapshot('after');
        const files = ['probe.jsonl'];
        if (writes) files.push('writes.jsonl', 'rw-lag.jsonl');
        if (lagRes) files.push('lag.jsonl');
        if (placementRes) files.push('placement.jsonl');
        if (haproxy?.snapshots.length) files.push('haproxy.json');
        return {
          startedAt,
          stoppedAt: Date.now(),
          probe: {
            requests: streams.reduce((n, s) => n + s.scheduled, 0),
            failed: probe.live().errors,
            dropped: streams.reduce((n, s) => n + s.dropped, 0),
            streams,
          },
          writes,
          lag: lagRes,
          placement: placementRes,
          haproxy: haproxy?.snapshots ?? [],
          files,
        };
      })();
      return stopping;
    },
  };
}
