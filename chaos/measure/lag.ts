// Replication lag sampler. Per replica task, two long-lived streams:
//   - in the replica's container, one SQL client fed SHOW SLAVE STATUS + the heartbeat row every
//     ~100 ms (see lag-stream-parse.ts for why not tododb-lag per sample): threads,
//     Seconds_Behind_Master, and the old 'heartbeat-age' figure;
//   - in the primary's container, the visibility probe (lag-visibility.ts): heartbeat writes timed
//     until the replica applied them, on one clock, ~1 ms resolution.
// Each sample of the first stream carries the probe's current figure as heartbeatLagMs
// (lagMethod 'visibility'); while no probe answers (primary down or restarting) it carries the
// heartbeat age instead (lagMethod 'heartbeat-age'). Replica and primary tasks are re-discovered
// every few seconds (a killed/rescheduled task gets new streams). Samples go to lag.jsonl.
import type Dockerode from 'dockerode';
import { realClock } from './clock.ts';
import type { LagSample } from '../../scripts/lib/run-folder.ts';
import { DB_SERVICES, runningTaskContainers, type TaskContainer } from './db-tasks.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { LagStreamParser, lagClientScript } from './lag-stream-parse.ts';
import { VisibilityTracker, visibilityProbeScript, type ProbeEvent } from './lag-visibility.ts';
import { startTaskStream, type StreamHandle, type TaskStreamStarter } from './node-stream.ts';

export interface LagSamplerOptions {
  swarm: Dockerode;
  signal: AbortSignal;
  maxDurationMs: number;
  intervalMs?: number; // default 100
  rediscoverMs?: number; // default 2000
  /** replace each stream after this long (default 5 min), so a stream orphaned by a killed run dies soon */
  rotateMs?: number;
  service?: string;
  primaryService?: string;
  /** the one-clock visibility probe in the primary's container (default on) */
  visibility?: boolean;
  /** a replica's first samples wait up to this long for its probe's first reading (default 10 s;
   *  they are written as soon as it comes, so the bound costs only when no probe can answer) */
  warmupMs?: number;
  log: (line: string) => void;
  onSample?: (s: LagSample) => void;
  /** every line of a visibility probe, parsed (at: runner clock) */
  onProbe?: (replica: string, e: ProbeEvent, at: number) => void;
  /** how the streams reach the task containers (default: the host engine's node containers,
   *  startTaskStream; agent-stream.ts through the chaos agent) */
  stream?: TaskStreamStarter;
}

export interface LagHandle {
  done: Promise<{ samples: number; replicas: string[] }>;
}

interface Probe {
  handle: StreamHandle;
  tracker: VisibilityTracker;
  primaryId: string;
}

export function startLagSampler(runDir: string, opts: LagSamplerOptions): LagHandle {
  const sink = new JsonlSink<LagSample>(runDir, 'lag.jsonl');
  const service = opts.service ?? DB_SERVICES.replica;
  const primaryService = opts.primaryService ?? DB_SERVICES.primary;
  const visibility = opts.visibility !== false;
  // 3 s was too short once in CI: the probe's docker exec had not printed yet on a busy host, and
  // the first samples carried the heartbeat age
  const warmupMs = opts.warmupMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const startStream = opts.stream ?? startTaskStream;
  const streams = new Map<string, { task: TaskContainer; handle: StreamHandle; openedAt: number }>();
  /** replica container id -> its probes, newest first (two while one is being rotated out) */
  const probes = new Map<string, Probe[]>();
  const firstOpened = new Map<string, number>();
  const retiring = new Set<StreamHandle>();
  const rotateMs = opts.rotateMs ?? 300_000;
  const seen = new Set<string>();
  const deadline = Date.now() + opts.maxDurationMs;
  let samples = 0;
  let stopping = false;
  let lastDiscoveryError = '';
  const streamSeconds = () => Math.max(1, Math.min(deadline - Date.now(), rotateMs + 30_000) / 1000 + 5);

  const withVisibility = (key: string, s: LagSample, now: number): LagSample | undefined => {
    s.heartbeatAgeMs = s.heartbeatLagMs;
    for (const p of probes.get(key) ?? []) {
      const r = p.tracker.reading(now);
      if (!r) continue;
      s.heartbeatLagMs = r.lagMs;
      s.lagMethod = 'visibility';
      return s;
    }
    // no probe figure yet: a new replica's first samples wait a moment for it rather than mix methods
    if (visibility && now - (firstOpened.get(key) ?? 0) < warmupMs) return undefined;
    // while the sampler stops, its probes end too (seen in CI: the last sample of a run came after
    // its probe had gone): such a sample says nothing about the replica, so it is not written
    if (visibility && (stopping || opts.signal.aborted)) return undefined;
    s.lagMethod = 'heartbeat-age';
    return s;
  };

  const open = (task: TaskContainer) => {
    const key = task.containerId;
    const parser = new LagStreamParser(task.name, task.node);
    const handle = startStream({
      node: task.node,
      containerId: task.containerId,
      script: lagClientScript(intervalMs),
      // a hard bound inside the container: past the rotation (or the run), it is killed there
      maxSeconds: streamSeconds(),
      onLine: (line) => {
        const raw = parser.push(line);
        if (!raw) return;
        const s = withVisibility(key, raw, Date.now());
        if (!s) return;
        sink.push(s);
        samples++;
        opts.onSample?.(s);
      },
      onStderr: (line) => opts.log(`lag ${task.name}: ${line}`),
    });
    const rotating = streams.has(key);
    streams.set(key, { task, handle, openedAt: Date.now() });
    if (!firstOpened.has(key)) firstOpened.set(key, Date.now());
    seen.add(task.name);
    if (!rotating) opts.log(`lag: sampling ${task.name} on ${task.node}`);
    void handle.done.then((code) => {
      if (streams.get(key)?.handle === handle) streams.delete(key); // re-opened on the next discovery if still running
      if (!opts.signal.aborted && !retiring.has(handle)) opts.log(`lag: stream for ${task.name} ended (exit ${code})`);
      retiring.delete(handle);
    });
  };

  const openProbe = (task: TaskContainer, primary: TaskContainer) => {
    const key = task.containerId;
    const list = probes.get(key) ?? [];
    const tracker = new VisibilityTracker(Date.now());
    const probe: Probe = { tracker, primaryId: primary.containerId, handle: undefined as unknown as StreamHandle };
    probe.handle = startStream({
      node: primary.node,
      containerId: primary.containerId,
      script: visibilityProbeScript({ host: task.address!, intervalMs, maxSeconds: streamSeconds() - 2 }),
      maxSeconds: streamSeconds(),
      onLine: (line) => {
        const at = Date.now();
        const e = tracker.push(line, at);
        opts.onProbe?.(task.name, e, at);
        if (e.kind === 'error') opts.log(`lag probe ${task.name}: ${e.text}`);
        else if (e.kind === 'unknown') opts.log(`lag probe ${task.name}: unexpected output: ${line.slice(0, 200)}`);
      },
      onStderr: (line) => opts.log(`lag probe ${task.name}: ${line}`),
    });
    if (!list.length) opts.log(`lag: visibility probe for ${task.name} (${task.address}) from ${primary.name} on ${primary.node}`);
    const old = list.slice();
    probes.set(key, [probe, ...list]);
    // the old probe keeps answering until the new one does (its figures stay valid meanwhile)
    for (const o of old) {
      retiring.add(o.handle);
      setTimeout(() => void o.handle.stop(), 3000).unref();
    }
    void probe.handle.done.then((code) => {
      const l = (probes.get(key) ?? []).filter((p) => p !== probe);
      if (l.length) probes.set(key, l);
      else probes.delete(key);
      if (!opts.signal.aborted && !retiring.has(probe.handle)) opts.log(`lag: visibility probe for ${task.name} ended (exit ${code})`);
      retiring.delete(probe.handle);
    });
  };

  const ensureProbe = (task: TaskContainer, primary: TaskContainer | undefined) => {
    if (!visibility || !primary || !task.address) return;
    const list = probes.get(task.containerId) ?? [];
    const current = list[0];
    const stale = current && (current.primaryId !== primary.containerId || Date.now() - current.tracker.openedAt >= rotateMs);
    if (!current || stale) openProbe(task, primary);
  };

  const done = (async () => {
    const every = opts.rediscoverMs ?? 2000;
    while (!opts.signal.aborted && Date.now() < deadline) {
      try {
        const [tasks, primaries] = await Promise.all([
          runningTaskContainers(opts.swarm, service),
          visibility ? runningTaskContainers(opts.swarm, primaryService) : Promise.resolve([]),
        ]);
        const live = new Set(tasks.map((t) => t.containerId));
        for (const t of tasks) if (!streams.has(t.containerId)) open(t);
        for (const [key, s] of streams) if (!live.has(key)) void s.handle.stop();
        for (const [key, l] of probes) if (!live.has(key)) for (const p of l) void p.handle.stop();
        for (const t of tasks) ensureProbe(t, primaries[0]);
        for (const s of [...streams.values()]) {
          if (Date.now() - s.openedAt < rotateMs || !live.has(s.task.containerId)) continue;
          // overlap old and new for a few seconds so the rotation leaves no gap in the samples
          retiring.add(s.handle);
          open(s.task);
          setTimeout(() => void s.handle.stop(), 3000).unref();
        }
        lastDiscoveryError = '';
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (msg !== lastDiscoveryError) opts.log(`lag: cannot list ${service} tasks: ${msg}`);
        lastDiscoveryError = msg;
      }
      await realClock.sleep(every, opts.signal);
    }
    stopping = true;
    // the samplers first, then the probes their samples read
    await Promise.all([...streams.values()].map((s) => s.handle.stop()));
    const all = [...probes.values()].flat().map((p) => p.handle).concat([...retiring]);
    await Promise.all(all.map((h) => h.stop()));
    sink.close();
    return { samples, replicas: [...seen].sort() };
  })();
  return { done };
}
