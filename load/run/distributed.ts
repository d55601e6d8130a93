// Distributed load (issue 13): the engine as a swarm service with N replicas, each one execution
// segment of the same test, started together (--start-at), their JSON lines back through the
// Docker API (service logs), merged by `gameday-engine aggregate` into one k6-timeseries.json.gz
// and one summary with the test's thresholds applied to the whole. The service and its config are
// removed however the run ends; an interrupt scales the service to 0 (SIGTERM: each replica stops
// gracefully and ends its stream) and what arrived is still aggregated.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Dockerode from 'dockerode';
import { newDocker } from '../../scripts/lib/docker.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { createServiceWithAuth } from '../../scripts/lib/registry-auth.ts';
import {
  CHAOS_LOAD_LABEL,
  decodeReplica,
  demuxLogs,
  LogLines,
  LOAD_LABEL,
  loadServiceName,
  loadServiceSpec,
  MAX_CONFIG_BYTES,
  splitByTask,
} from './distributed-spec.ts';

export interface DistributedInput {
  docker: Dockerode;
  /** the engine on this machine (runs `aggregate`) */
  engineBin: string;
  /** the engine image as the nodes pull it */
  image: string;
  replicas: number;
  /** overlay network of the tasks (the app's, so the target is reached from inside) */
  network: string;
  /** the bundle on this machine: shipped as a Docker config, and read by aggregate */
  bundle: string;
  /** the run folder: k6-timeseries.json.gz and (via handleSummary) k6-summary.json land here */
  dir: string;
  timeseriesFile: string;
  /** environment of the replicas (e.g. GAMEDAY_PLAN with a summary path inside the container) */
  replicaEnv: Record<string, string | undefined>;
  /** environment of `aggregate` on this machine (GAMEDAY_PLAN with the run folder's summary path) */
  aggregateEnv: NodeJS.ProcessEnv;
  /** extra labels on the service and config (chaos marks its background load, for --recover) */
  labels?: Record<string, string>;
  /** engine flags for every replica and for aggregate */
  engineFlags: string[];
  /** the whole run is cut (as by an interrupt) after this long */
  timeoutMs: number;
  /** replicas start their test this long after the service is created (pull + init), default 20 s */
  leadMs?: number;
  /** aborting stops the replicas gracefully; the run counts as interrupted */
  signal?: AbortSignal;
  /** every line for k6.log */
  log: (line: string) => void;
  /** progress for the terminal */
  say?: (line: string) => void;
  /** called once the service exists, with the time its replicas start together (epoch ms) */
  onStartAt?: (epochMs: number) => void;
  pollMs?: number;
}

export interface ReplicaOutcome {
  slot: number;
  task: string;
  node?: string;
  state: string;
  exitCode?: number;
  lines: number;
  expected?: number;
  durationMs?: number;
}

export interface DistributedResult {
  id: string;
  service: string;
  /** aggregate's exit code (0, 99 thresholds crossed, ...); null when it did not run */
  code: number | null;
  interrupted: boolean;
  replicas: ReplicaOutcome[];
  /** problems worth a line in the verdict (a replica that failed, lines that did not arrive) */
  warnings: string[];
  startAt: string;
}

const DONE = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new EnvironmentError(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The same engine without the per-call idle timeout: a followed log is idle while the replicas start. */
function untimed(docker: Dockerode): Dockerode {
  const m = docker.modem as any;
  // every transport option is carried over: TLS material (a tcp+TLS manager) and the agent (ssh://)
  return newDocker({
    host: m.host,
    port: m.port,
    protocol: m.protocol,
    socketPath: m.socketPath,
    username: m.username,
    sshOptions: m.sshOptions,
    ca: m.ca,
    cert: m.cert,
    key: m.key,
    agent: m.agent,
  } as Dockerode.DockerOptions);
}

export function newLoadId(): string {
  return crypto.randomBytes(4).toString('hex');
}

export async function runDistributed(i: DistributedInput): Promise<DistributedResult> {
  const id = newLoadId();
  const name = loadServiceName(id);
  const pollMs = i.pollMs ?? 1000;
  const warnings: string[] = [];
  const script = fs.readFileSync(i.bundle);
  if (script.length > MAX_CONFIG_BYTES) throw new EnvironmentError(`the bundle ${i.bundle} is ${script.length} bytes; a Docker config holds at most ${MAX_CONFIG_BYTES}`);
  const labels = { ...i.labels, [LOAD_LABEL]: id };
  const configName = `${name}-script`;
  const cfg = (await bounded(i.docker.createConfig({ Name: configName, Labels: labels, Data: script.toString('base64') } as any), 15_000, `creating config ${configName}`)) as any;
  const configId: string = cfg.id ?? cfg.ID;
  const startAt = new Date(Date.now() + (i.leadMs ?? 20_000)).toISOString();
  const spec = loadServiceSpec({ id, image: i.image, replicas: i.replicas, network: i.network, configId, configName, startAt, engineArgs: i.engineFlags, env: i.replicaEnv, labels: i.labels });
  i.log(`$ docker service create ${name} (${i.replicas} replicas of ${i.image}, network ${i.network}, start at ${startAt})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  let interrupted = false;
  let code: number | null = null;
  const replicas: ReplicaOutcome[] = [];
  try {
    await bounded(createServiceWithAuth(i.docker, spec), 15_000, `creating service ${name}`);
    i.say?.(`${name}: ${i.replicas} replica(s), starting together at ${startAt}`);
    i.onStartAt?.(Date.parse(startAt));
    // the replicas' logs are followed from the start: what a replica wrote is here even when its
    // task is removed (scale to 0 on an interrupt removes the tasks and their containers)
    const followed = new Map<string, string[]>();
    let follow: NodeJS.ReadableStream | undefined;
    try {
      follow = (await bounded(untimed(i.docker).getService(name).logs({ stdout: true, stderr: true, details: true, follow: true } as any) as unknown as Promise<NodeJS.ReadableStream>, 15_000, `following the logs of ${name}`));
      const dm = new LogLines();
      follow.on('data', (chunk: Buffer) => {
        for (const [task, lines] of splitByTask(dm.push(chunk).join('\n'))) {
          let list = followed.get(task);
          if (!list) followed.set(task, (list = []));
          list.push(...lines);
        }
      });
      follow.on('error', (err) => i.log(`following the logs of ${name}: ${(err as Error).message}`));
    } catch (err) {
      i.log(`could not follow the logs of ${name} (they are read once the tasks end): ${(err as Error).message}`);
    }
    // wait for every task to end; an interrupt or the bound scales the service to 0 (graceful stop)
    const deadline = Date.now() + i.timeoutMs;
    let stopping = false;
    let stopDeadline = 0;
    let lastSaid = 0;
    const seen = new Map<string, any>();
    for (;;) {
      const listed = ((await bounded(i.docker.listTasks({ filters: { service: [name] } }), 15_000, `listing the tasks of ${name}`)) as any[]).filter((t) => t.Slot);
      for (const t of listed) seen.set(t.ID, t);
      const live = listed.filter((t) => !DONE.has(String(t.Status?.State)));
      if (!live.length && (seen.size >= i.replicas || stopping)) break;
      const tasks = listed;
      const cut = i.signal?.aborted || Date.now() > deadline;
      if (cut && !stopping) {
        stopping = true;
        interrupted = true;
        stopDeadline = Date.now() + 60_000;
        i.say?.(`${name}: stopping the replicas (they end their streams first)`);
        i.log(`stopping ${name}: ${i.signal?.aborted ? 'interrupted' : `not done within ${Math.round(i.timeoutMs / 1000)} s`}`);
        try {
          const svc = i.docker.getService(name);
          const info = (await bounded(svc.inspect(), 15_000, `inspecting ${name}`)) as any;
          await bounded(svc.update({ ...info.Spec, Mode: { Replicated: { Replicas: 0 } }, version: info.Version.Index } as any), 15_000, `scaling ${name} to 0`);
        } catch (err) {
          warnings.push(`could not stop ${name} gracefully: ${(err as Error).message}`);
        }
      }
      if (stopping && Date.now() > stopDeadline) {
        warnings.push(`${name}: replicas still running 60 s after the stop; removing the service`);
        break;
      }
      if (Date.now() - lastSaid >= 10_000) {
        lastSaid = Date.now();
        const by = new Map<string, number>();
        for (const t of tasks) by.set(String(t.Status?.State), (by.get(String(t.Status?.State)) ?? 0) + 1);
        i.say?.(`${name}: ${[...by].map(([s, n]) => `${n} ${s}`).join(', ') || 'no task yet'}`);
      }
      await sleep(pollMs);
    }
    // the logs reach the manager from the nodes shortly after the tasks end: retry until every
    // task's stream is complete (its end marker is there) or 15 s have passed
    const tasks = [...seen.values()];
    const complete = (m: Map<string, string[]>) => tasks.every((t) => (m.get(t.ID) ?? []).some((l) => l.startsWith('@gdend ')));
    let byTask = followed;
    for (let attempt = 0; follow && !complete(followed) && attempt < 15; attempt++) await sleep(1000);
    (follow as any)?.destroy?.();
    if (!complete(followed)) {
      // what the manager still has (tasks that were not removed), if it is more than what was followed
      for (let attempt = 0; ; attempt++) {
        try {
          const raw = (await bounded(i.docker.getService(name).logs({ stdout: true, stderr: true, details: true, follow: false } as any) as unknown as Promise<Buffer>, 120_000, `reading the logs of ${name}`)) as Buffer | string;
          const read = splitByTask(Buffer.isBuffer(raw) ? demuxLogs(raw) : String(raw));
          byTask = new Map(tasks.map((t) => [t.ID, (read.get(t.ID)?.length ?? 0) > (followed.get(t.ID)?.length ?? 0) ? read.get(t.ID)! : (followed.get(t.ID) ?? [])]));
        } catch (err) {
          i.log(`reading the logs of ${name}: ${(err as Error).message}`);
        }
        if (complete(byTask) || attempt >= (stopping ? 2 : 15)) break;
        await sleep(1000);
      }
    }
    const inputs: string[] = [];
    let maxDurationMs = 0;
    for (const t of [...tasks].sort((a, b) => a.Slot - b.Slot)) {
      const d = decodeReplica(byTask.get(t.ID) ?? []);
      const r: ReplicaOutcome = {
        slot: t.Slot,
        task: t.ID,
        node: t.NodeID,
        state: String(t.Status?.State),
        exitCode: t.Status?.ContainerStatus?.ExitCode,
        lines: d.lines,
        expected: d.expected,
        durationMs: d.durationMs,
      };
      replicas.push(r);
      for (const l of d.other) i.log(`[replica ${t.Slot}] ${l}`);
      i.log(`[replica ${t.Slot}] task ${t.ID} ${r.state} exit ${r.exitCode ?? '?'}: ${d.lines} metric lines${d.expected === undefined ? ' (no end marker: the stream was cut)' : d.expected !== d.lines ? ` of ${d.expected} announced` : ''}`);
      // exit 99 (its share crossed a threshold) and 105 (stopped) still sent a complete stream
      // a task removed while stopping (scale to 0) was last seen running: only its stream tells
      const ended = DONE.has(r.state);
      if (!ended) r.exitCode = undefined;
      const expectedExit = !ended || (r.exitCode !== undefined && [0, 99, 105].includes(r.exitCode));
      if (t.Status?.Err && !expectedExit) warnings.push(`replica ${t.Slot}: ${t.Status.Err}`);
      if (d.expected === undefined) warnings.push(`replica ${t.Slot}: its metric stream has no end marker (${d.lines} lines arrived)`);
      else if (d.expected !== d.lines) warnings.push(`replica ${t.Slot}: ${d.lines} of ${d.expected} metric lines arrived`);
      if (r.exitCode !== undefined && !expectedExit) warnings.push(`replica ${t.Slot} exited ${r.exitCode} (see k6.log)`);
      if (d.durationMs) maxDurationMs = Math.max(maxDurationMs, d.durationMs);
      if (!d.lines) continue;
      const f = path.join(tmp, `replica-${t.Slot}.json.gz`);
      fs.writeFileSync(f, zlib.gzipSync(d.jsonl, { level: 1 }));
      inputs.push(f);
    }
    if (replicas.length < i.replicas) warnings.push(`${replicas.length} of ${i.replicas} replicas ran`);
    if (!inputs.length) {
      warnings.push('no replica sent metrics: nothing to aggregate');
      return { id, service: name, code: null, interrupted, replicas, warnings, startAt };
    }
    const args = ['aggregate', '--no-color', '--out', `json=${i.timeseriesFile}`, ...inputs.flatMap((f) => ['--in', f]), ...(maxDurationMs ? ['--test-run-duration', maxDurationMs.toFixed(3)] : []), ...i.engineFlags, i.bundle];
    i.log(`$ ${path.basename(i.engineBin)} ${args.join(' ')}`);
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(i.engineBin, args, { env: i.aggregateEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const onData = (b: Buffer) => {
        for (const l of b.toString('utf8').split('\n')) if (l) i.log(l);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    return { id, service: name, code, interrupted, replicas, warnings, startAt };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await removeLoadService(i.docker, id).catch((err) => i.log(`could not remove ${name}: ${(err as Error).message}`));
  }
}

/** Removes the service and config of a distributed run (404s are fine). */
export async function removeLoadService(docker: Dockerode, id: string): Promise<void> {
  const name = loadServiceName(id);
  const gone = (err: unknown) => {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  };
  await bounded(docker.getService(name).remove(), 15_000, `removing service ${name}`).catch(gone);
  // the config is in use until the tasks are gone
  for (let i = 0; i < 20; i++) {
    try {
      await bounded(docker.getConfig(`${name}-script`).remove(), 15_000, `removing config ${name}-script`);
      return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      if (i === 19) throw err;
      await sleep(1000);
    }
  }
}

/** Removes the distributed background loads a dead chaos run left on this swarm (services labelled
 *  CHAOS_LOAD_LABEL); the caller holds the swarm's chaos lock, so none of them belongs to a live run.
 *  Returns the removed service names. */
export async function removeChaosLoadLeftovers(docker: Dockerode, log: (l: string) => void): Promise<string[]> {
  const services = (await bounded(docker.listServices({ filters: { label: [CHAOS_LOAD_LABEL] } } as any) as unknown as Promise<any[]>, 15_000, 'listing chaos load services')) as any[];
  const removed: string[] = [];
  for (const s of services) {
    const id = s.Spec?.Labels?.[LOAD_LABEL];
    if (!id) continue;
    log(`removing ${loadServiceName(id)}: the background load of a chaos run that did not end`);
    await removeLoadService(docker, id);
    removed.push(loadServiceName(id));
  }
  return removed;
}
