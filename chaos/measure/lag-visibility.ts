// Replication lag measured on ONE clock: lag-visibility.pl runs in the primary's task container,
// writes a heartbeat every tick and times, on its own monotonic clock, how long each write takes
// from "acknowledged by the primary" to "applied on the replica" (MASTER_GTID_WAIT on the
// replica, which the server wakes when the SQL thread commits it: no poll interval). Skew
// between the primary's, the replica's and the runner's clocks does not enter the figure.
//
// This file is pure except for reading the .pl next to it: the in-container command line, the
// parser of the probe's output and the tracker that turns it into "the lag right now".
import fs from 'node:fs';

const PROBE_SOURCE = fs.readFileSync(new URL('./lag-visibility.pl', import.meta.url), 'utf8');

export interface VisibilityProbeOptions {
  /** the replica's address as seen from the primary's container */
  host: string;
  port?: number;
  /** heartbeat period (default 100 ms) */
  intervalMs?: number;
  /** stop writing heartbeats while this many are not yet visible (the oldest keeps ageing) */
  maxPending?: number;
  /** the probe exits by itself after this long */
  maxSeconds: number;
  db?: string;
  /** heartbeat row id the probe writes (id 1 is the primary's own heartbeat) */
  row?: number;
}

const HOST = /^[A-Za-z0-9._:-]+$/;

/** sh command for startTaskStream: the probe's source travels base64-encoded, so no quoting games. */
export function visibilityProbeScript(o: VisibilityProbeOptions): string {
  if (!HOST.test(o.host)) throw new Error(`visibility probe: bad replica address '${o.host}'`);
  const args = [o.host, o.port ?? 3306, o.intervalMs ?? 100, o.maxPending ?? 600, Math.max(1, Math.ceil(o.maxSeconds)), o.db ?? 'tododb', o.row ?? 2];
  for (const a of args.slice(1)) if (!/^[A-Za-z0-9_]+$/.test(String(a))) throw new Error(`visibility probe: bad argument '${a}'`);
  const b64 = Buffer.from(PROBE_SOURCE).toString('base64');
  return `exec perl -e "$(echo ${b64} | base64 -d)" ${args.join(' ')}`;
}

export type ProbeEvent =
  | { kind: 'ready' }
  | { kind: 'seen'; seq: number; lagMs: number; pending: number; ackAt?: number }
  | { kind: 'pending'; seq: number; ageMs: number; count: number }
  | { kind: 'error'; text: string }
  | { kind: 'unknown'; line: string };

const us = (v: string | undefined): number | undefined => (v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined);

export function parseProbeLine(line: string): ProbeEvent {
  const [kind, a, b, c, d] = line.trim().split(/\s+/);
  if (kind === 'ready') return { kind: 'ready' };
  if (kind === 'error') return { kind: 'error', text: line.trim().slice(6) };
  const seq = us(a);
  const v = us(b);
  const n = us(c);
  if (seq !== undefined && v !== undefined && n !== undefined) {
    // µs on the probe's clock; a negative figure cannot happen on a monotonic clock, clamp anyway
    const ms = Math.max(0, v) / 1000;
    if (kind === 'seen') {
      // ackAt: the write's acknowledgement on the probe host's wall clock (epoch ms), for tests on
      // one machine; the lag itself never uses it
      const wall = us(d);
      return wall === undefined ? { kind, seq, lagMs: ms, pending: n } : { kind, seq, lagMs: ms, pending: n, ackAt: wall / 1000 };
    }
    if (kind === 'pending') return { kind, seq, ageMs: ms, count: n };
  }
  return { kind: 'unknown', line };
}

export interface VisibilityReading {
  lagMs: number;
  /** a heartbeat is older than one tick and not visible yet (the figure is its age, still growing) */
  behind: boolean;
}

/**
 * The lag of one replica right now from one probe's output:
 *   max(visibility delay of the newest heartbeat seen, age of the oldest heartbeat not yet seen)
 * A caught-up replica reads its last delay (~1 ms); a replica held D behind reads D; a stopped
 * one reads the age of the first heartbeat it never applied, growing with time. The age is
 * carried forward between probe lines on the caller's clock (a duration, so skew does not matter).
 */
export class VisibilityTracker {
  private seen: { seq: number; lagMs: number } | undefined;
  private pending: { seq: number; ageMs: number; at: number } | undefined;
  private lastLineAt: number | undefined;
  readonly openedAt: number;

  /** staleMs: no probe line for this long = no reading (the probe prints one every tick, 100 ms;
   *  its lines come through a docker exec stream, which on a busy 2-core host was seen to pause
   *  for over a second, so 2 s rather than 1 s before the sampler falls back to the heartbeat age) */
  constructor(
    openedAt: number,
    private readonly staleMs = 2000,
  ) {
    this.openedAt = openedAt;
  }

  push(line: string, at: number): ProbeEvent {
    const e = parseProbeLine(line);
    if (e.kind === 'seen') {
      this.seen = { seq: e.seq, lagMs: e.lagMs };
      if (this.pending && this.pending.seq <= e.seq) this.pending = undefined;
    } else if (e.kind === 'pending') {
      this.pending = { seq: e.seq, ageMs: e.ageMs, at };
    }
    if (e.kind === 'seen' || e.kind === 'pending' || e.kind === 'ready') this.lastLineAt = at;
    return e;
  }

  /** undefined: nothing to say (not started, or silent for staleMs: stuck or gone) */
  reading(now: number): VisibilityReading | undefined {
    if (this.lastLineAt === undefined || now - this.lastLineAt > this.staleMs) return undefined;
    if (!this.seen && !this.pending) return undefined;
    const age = this.pending ? this.pending.ageMs + Math.max(0, now - this.pending.at) : 0;
    const lag = Math.max(this.seen?.lagMs ?? 0, age);
    return { lagMs: Math.round(lag * 1000) / 1000, behind: this.pending !== undefined };
  }
}
