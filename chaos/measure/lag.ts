// Replication lag sampler: one long-lived SQL client per replica task, fed a heartbeat + slave
// status query every ~100 ms (see lag-stream-parse.ts for why not tododb-lag per sample),
// re-discovering the replica tasks every few seconds (a killed/rescheduled replica gets a new
// stream on its new node). Samples go to lag.jsonl.
import type Dockerode from 'dockerode';
import { realClock } from './clock.ts';
import type { LagSample } from '../../scripts/lib/run-folder.ts';
import { DB_SERVICES, runningTaskContainers, type TaskContainer } from './db-tasks.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { LagStreamParser, lagClientScript } from './lag-stream-parse.ts';
import { startTaskStream, type StreamHandle } from './node-stream.ts';

export interface LagSamplerOptions {
  swarm: Dockerode;
  signal: AbortSignal;
  maxDurationMs: number;
  intervalMs?: number; // default 100
  rediscoverMs?: number; // default 2000
  /** replace each stream after this long (default 5 min), so a stream orphaned by a killed run dies soon */
  rotateMs?: number;
  service?: string;
  log: (line: string) => void;
  onSample?: (s: LagSample) => void;
}

export interface LagHandle {
  done: Promise<{ samples: number; replicas: string[] }>;
}

export function startLagSampler(runDir: string, opts: LagSamplerOptions): LagHandle {
  const sink = new JsonlSink<LagSample>(runDir, 'lag.jsonl');
  const service = opts.service ?? DB_SERVICES.replica;
  const streams = new Map<string, { task: TaskContainer; handle: StreamHandle; openedAt: number }>();
  const retiring = new Set<StreamHandle>();
  const rotateMs = opts.rotateMs ?? 300_000;
  const seen = new Set<string>();
  const deadline = Date.now() + opts.maxDurationMs;
  let samples = 0;
  let lastDiscoveryError = '';

  const open = (task: TaskContainer) => {
    const key = task.containerId;
    const parser = new LagStreamParser(task.name, task.node);
    const handle = startTaskStream({
      node: task.node,
      containerId: task.containerId,
      script: lagClientScript(opts.intervalMs ?? 100),
      // a hard bound inside the container: past the rotation (or the run), it is killed there
      maxSeconds: Math.max(1, Math.min(deadline - Date.now(), rotateMs + 30_000) / 1000 + 5),
      onLine: (line) => {
        const s = parser.push(line);
        if (!s) return;
        sink.push(s);
        samples++;
        opts.onSample?.(s);
      },
      onStderr: (line) => opts.log(`lag ${task.name}: ${line}`),
    });
    const rotating = streams.has(key);
    streams.set(key, { task, handle, openedAt: Date.now() });
    seen.add(task.name);
    if (!rotating) opts.log(`lag: sampling ${task.name} on ${task.node}`);
    void handle.done.then((code) => {
      if (streams.get(key)?.handle === handle) streams.delete(key); // re-opened on the next discovery if still running
      if (!opts.signal.aborted && !retiring.has(handle)) opts.log(`lag: stream for ${task.name} ended (exit ${code})`);
      retiring.delete(handle);
    });
  };

  const done = (async () => {
    const every = opts.rediscoverMs ?? 2000;
    while (!opts.signal.aborted && Date.now() < deadline) {
      try {
        const tasks = await runningTaskContainers(opts.swarm, service);
        const live = new Set(tasks.map((t) => t.containerId));
        for (const t of tasks) if (!streams.has(t.containerId)) open(t);
        for (const [key, s] of streams) if (!live.has(key)) void s.handle.stop();
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
    await Promise.all([...streams.values()].map((s) => s.handle.stop()).concat([...retiring].map((h) => h.stop())));
    sink.close();
    return { samples, replicas: [...seen].sort() };
  })();
  return { done };
}
