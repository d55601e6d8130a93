// Replication lag sampler: one long-lived `tododb-lag` loop (~every 100 ms) per replica task,
// re-discovering the replica tasks every few seconds (a killed/rescheduled replica gets a new
// stream on its new node). Samples go to lag.jsonl.
import type Dockerode from 'dockerode';
import type { LagSample } from '../../scripts/lib/run-folder.ts';
import { DB_SERVICES, runningTaskContainers, type TaskContainer } from './db-tasks.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { parseLagLine } from './lag-parse.ts';
import { startTaskStream, type StreamHandle } from './node-stream.ts';

export interface LagSamplerOptions {
  swarm: Dockerode;
  signal: AbortSignal;
  maxDurationMs: number;
  intervalMs?: number; // default 100
  rediscoverMs?: number; // default 2000
  service?: string;
  log: (line: string) => void;
  onSample?: (s: LagSample) => void;
}

export interface LagHandle {
  done: Promise<{ samples: number; replicas: string[] }>;
}

/** The in-container loop: a failed reading still yields a line, and a closed stdout ends the loop. */
export function lagLoopScript(intervalMs: number): string {
  const sleep = (intervalMs / 1000).toFixed(3);
  // stderr folded into the line, so a non-JSON complaint shows up as a sample error
  return (
    String.raw`while :; do out=$(tododb-lag 2>&1); rc=$?; ` +
    String.raw`[ -n "$out" ] || out="{\"error\":\"tododb-lag exit $rc, no output\"}"; ` +
    String.raw`printf '%s\n' "$out" || exit 0; sleep ${sleep}; done`
  );
}

export function startLagSampler(runDir: string, opts: LagSamplerOptions): LagHandle {
  const sink = new JsonlSink<LagSample>(runDir, 'lag.jsonl');
  const service = opts.service ?? DB_SERVICES.replica;
  const streams = new Map<string, { task: TaskContainer; handle: StreamHandle }>();
  const seen = new Set<string>();
  const deadline = Date.now() + opts.maxDurationMs;
  let samples = 0;
  let lastDiscoveryError = '';

  const open = (task: TaskContainer) => {
    const key = task.containerId;
    const handle = startTaskStream({
      node: task.node,
      containerId: task.containerId,
      script: lagLoopScript(opts.intervalMs ?? 100),
      maxSeconds: Math.max(1, (deadline - Date.now()) / 1000 + 5),
      onLine: (line) => {
        const s = parseLagLine(line, Date.now(), task.name, task.node);
        sink.push(s);
        samples++;
        opts.onSample?.(s);
      },
      onStderr: (line) => opts.log(`lag ${task.name}: ${line}`),
    });
    streams.set(key, { task, handle });
    seen.add(task.name);
    opts.log(`lag: sampling ${task.name} on ${task.node}`);
    void handle.done.then((code) => {
      if (streams.get(key)?.handle === handle) streams.delete(key); // re-opened on the next discovery if still running
      if (!opts.signal.aborted) opts.log(`lag: stream for ${task.name} ended (exit ${code})`);
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
        lastDiscoveryError = '';
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (msg !== lastDiscoveryError) opts.log(`lag: cannot list ${service} tasks: ${msg}`);
        lastDiscoveryError = msg;
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, every);
        opts.signal.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
      });
    }
    await Promise.all([...streams.values()].map((s) => s.handle.stop()));
    sink.close();
    return { samples, replicas: [...seen].sort() };
  })();
  return { done };
}
