// Distributed load (issue 13), the pure parts: the execution segment each task slot takes, the
// swarm service and config of a run, and decoding what the replicas wrote to their logs.
// The engine runs as a swarm service `gameday-load-<id>` with N replicas; slot k (1-based) takes
// segment (k-1)/N:k/N of the sequence 0,1/N,...,1; each replica writes its JSON lines framed on
// stdout (`--out json=-`: "@gd " + line, then "@gdend lines=N durationMs=D"), which reaches the
// controller through the Docker API (service logs) only.

export const LOAD_LABEL = 'gameday.load';
export const LOAD_PREFIX = 'gameday-load-';
/** set on the background load of a chaos run: one chaos run holds the swarm's lock, so any such
 *  service found by the next run or --recover was left by a dead one and is removed */
export const CHAOS_LOAD_LABEL = 'gameday.load.chaos';
export const MAX_DISTRIBUTED = 32;
/** where the bundle is mounted in each task (a Docker config) */
export const SCRIPT_PATH = '/gameday/script.js';
/** Docker configs hold at most 500 KB */
export const MAX_CONFIG_BYTES = 500 * 1024;

export function fraction(k: number, n: number): string {
  if (k === 0) return '0';
  if (k === n) return '1';
  return `${k}/${n}`;
}

/** The sequence "0,1/N,...,1" and the N segments "0:1/N", ..., "(N-1)/N:1" (slot k takes segments[k-1]). */
export function segmentsFor(n: number): { sequence: string; segments: string[] } {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DISTRIBUTED) throw new RangeError(`replicas: expected a whole number from 1 to ${MAX_DISTRIBUTED}, got ${n}`);
  const points = Array.from({ length: n + 1 }, (_, k) => fraction(k, n));
  return { sequence: points.join(','), segments: points.slice(0, -1).map((p, k) => `${p}:${points[k + 1]}`) };
}

/** The segment of task slot `slot` (1-based) of N replicas. */
export function segmentForSlot(slot: number, n: number): string {
  const { segments } = segmentsFor(n);
  if (!Number.isInteger(slot) || slot < 1 || slot > n) throw new RangeError(`task slot: expected 1..${n}, got ${slot}`);
  return segments[slot - 1]!;
}

export interface LoadServiceInput {
  id: string;
  image: string;
  replicas: number;
  /** overlay network the tasks join (the app's) */
  network: string;
  configId: string;
  configName: string;
  /** RFC3339: every replica starts its test then */
  startAt: string;
  /** engine flags before the script (e.g. pass-through flags) */
  engineArgs: string[];
  env: Record<string, string | undefined>;
  /** extra labels (e.g. the chaos owner mark) */
  labels?: Record<string, string>;
}

export function loadServiceName(id: string): string {
  return `${LOAD_PREFIX}${id}`;
}

/** The service spec: N replicas, restart none, dnsrr, no published port, on the app's network. */
export function loadServiceSpec(i: LoadServiceInput): Record<string, unknown> {
  const { sequence, segments } = segmentsFor(i.replicas);
  const labels = { ...i.labels, [LOAD_LABEL]: i.id };
  const env: Record<string, string | undefined> = {
    ...i.env,
    GAMEDAY_SLOT: '{{.Task.Slot}}',
    GAMEDAY_SEGMENTS: segments.join(' '),
    GAMEDAY_SEQUENCE: sequence,
    GAMEDAY_START_AT: i.startAt,
  };
  return {
    Name: loadServiceName(i.id),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: i.image,
        Command: ['/usr/local/bin/gameday-replica'],
        Args: [...i.engineArgs, SCRIPT_PATH],
        Env: Object.entries(env)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        Configs: [{ File: { Name: SCRIPT_PATH, UID: '0', GID: '0', Mode: 0o444 }, ConfigID: i.configId, ConfigName: i.configName }],
        // SIGTERM (Ctrl-C, scale to 0): the engine stops gracefully and still ends its stream
        StopGracePeriod: 40_000_000_000,
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Networks: [{ Target: i.network }],
    },
    Mode: { Replicated: { Replicas: i.replicas } },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

export { demuxLogs } from '../../scripts/lib/docker-logs.ts';

/** Service log lines (fetched with details: "com.docker.swarm...task.id=ID,... message") grouped by task id. */
export function splitByTask(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const m = /^(\S*com\.docker\.swarm\.task\.id=([A-Za-z0-9]+)\S*) ?(.*)$/.exec(raw);
    const task = m ? m[2]! : '';
    const line = m ? m[3]! : raw;
    let list = out.get(task);
    if (!list) out.set(task, (list = []));
    list.push(line);
  }
  return out;
}

export interface DecodedReplica {
  /** the JSON lines (k6's --out json format), newline-terminated */
  jsonl: string;
  lines: number;
  /** lines the end marker announced; undefined = no end marker (the stream was cut) */
  expected?: number;
  durationMs?: number;
  /** every other line (the engine's log, console output) */
  other: string[];
}

/** One replica's log lines -> its JSON lines, whether they all arrived, and the rest. */
export function decodeReplica(lines: string[]): DecodedReplica {
  const json: string[] = [];
  const other: string[] = [];
  let expected: number | undefined;
  let durationMs: number | undefined;
  for (const l of lines) {
    if (l.startsWith('@gd ')) json.push(l.slice(4));
    else if (l.startsWith('@gdend ')) {
      for (const f of l.slice(7).trim().split(/\s+/)) {
        const [k, v] = f.split('=');
        if (k === 'lines') expected = Number(v);
        if (k === 'durationMs') durationMs = Number(v);
      }
    } else other.push(l);
  }
  return { jsonl: json.length ? `${json.join('\n')}\n` : '', lines: json.length, expected, durationMs, other };
}

/**
 * Incremental demuxer of a followed log stream (Docker's 8-byte frame headers): push chunks as they
 * arrive, get the complete lines (stdout and stderr alike) back.
 */
export class LogLines {
  private buf: Buffer = Buffer.alloc(0);
  private partial = '';
  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let text = '';
    let i = 0;
    while (i + 8 <= this.buf.length) {
      const len = this.buf.readUInt32BE(i + 4);
      if (i + 8 + len > this.buf.length) break;
      text += this.buf.subarray(i + 8, i + 8 + len).toString('utf8');
      i += 8 + len;
    }
    this.buf = this.buf.subarray(i);
    const all = this.partial + text;
    const cut = all.lastIndexOf('\n');
    if (cut < 0) {
      this.partial = all;
      return [];
    }
    this.partial = all.slice(cut + 1);
    return all.slice(0, cut).split('\n').filter(Boolean);
  }
}
