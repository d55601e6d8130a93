// The lock ON the swarm: two machines (or two users with their own state dirs) must not run chaos
// on one swarm at once, and a file lock cannot see another machine. The lock is a label on a
// manager node (the one carrying gameday.chaos=allowed with the lowest node id, so every client
// picks the same node): `gameday.chaos.lock` = JSON {host, pid, command, token, startedAt,
// expiresAt}. It is taken and renewed with a compare-and-swap on the node's spec version (Swarm
// refuses an update made against an older version), so of two racing runs exactly one wins.
// A holder renews it every ttl/3; a lock past its expiry (its holder died without releasing it,
// e.g. power loss or a second Ctrl-C) is stale and taken over, and so is one from this host whose
// process is gone.
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type Dockerode from 'dockerode';
import { SafetyError } from '../scripts/lib/errors.ts';
import { pidAlive } from './ledger.ts';
import { CHAOS_LABEL, CHAOS_LABEL_VALUE } from './safety.ts';

export const SWARM_LOCK_LABEL = 'gameday.chaos.lock';
/** how long a lock lives without renewal */
export const SWARM_LOCK_TTL_MS = 5 * 60_000;

export interface SwarmLockValue {
  host: string;
  pid: number;
  command: string;
  token: string;
  startedAt: string;
  expiresAt: string;
}

export interface SwarmLock {
  readonly node: string;
  readonly value: SwarmLockValue;
  /** stops renewing and removes the label while it is still ours */
  release(): Promise<void>;
}

export interface SwarmLockOptions {
  command: string;
  ttlMs?: number;
  log?: (line: string) => void;
  now?: () => number;
  alive?: (pid: number) => boolean;
  /** renew every ttl/3 (tests turn it off) */
  renew?: boolean;
}

function parse(v: string | undefined): SwarmLockValue | undefined {
  if (!v) return undefined;
  try {
    const o = JSON.parse(v) as Partial<SwarmLockValue>;
    if (typeof o.token === 'string' && typeof o.expiresAt === 'string') {
      return { host: String(o.host ?? '?'), pid: Number(o.pid ?? -1), command: String(o.command ?? '?'), token: o.token, startedAt: String(o.startedAt ?? '?'), expiresAt: o.expiresAt };
    }
  } catch {
    /* unreadable: stale below */
  }
  return { host: '?', pid: -1, command: '(unreadable lock label)', token: '', startedAt: '?', expiresAt: new Date(0).toISOString() };
}

export function describeSwarmLock(l: SwarmLockValue): string {
  return `pid ${l.pid} on ${l.host}, "${l.command}", started ${l.startedAt}, expires ${l.expiresAt} unless renewed`;
}

export function isSwarmLockStale(l: SwarmLockValue, now: number, alive: (pid: number) => boolean = pidAlive): boolean {
  if (!(Date.parse(l.expiresAt) > now)) return true;
  return l.host === os.hostname() && (l.pid <= 0 || !alive(l.pid));
}

/** The node that carries the lock: the lowest-id manager marked allowed. */
async function lockNode(swarm: Dockerode): Promise<any> {
  const nodes: any[] = await swarm.listNodes();
  const marked = nodes
    .filter((n) => n.Spec?.Role === 'manager' && n.Spec?.Labels?.[CHAOS_LABEL] === CHAOS_LABEL_VALUE)
    .sort((a, b) => String(a.ID).localeCompare(String(b.ID)));
  if (!marked[0]) throw new SafetyError(`no manager carries ${CHAOS_LABEL}=${CHAOS_LABEL_VALUE}: the swarm lock has nowhere to live`);
  return swarm.getNode(marked[0].ID).inspect();
}

const outOfSequence = (err: unknown) => /out of sequence|version/i.test(String((err as Error)?.message ?? '')) || [409].includes((err as { statusCode?: number })?.statusCode ?? 0);

/** Sets (value) or removes (undefined) the label with a CAS on the node version; false when the node changed meanwhile. */
async function casLabel(swarm: Dockerode, raw: any, value: SwarmLockValue | undefined): Promise<boolean> {
  const labels = { ...(raw.Spec?.Labels ?? {}) };
  if (value) labels[SWARM_LOCK_LABEL] = JSON.stringify(value);
  else delete labels[SWARM_LOCK_LABEL];
  try {
    await swarm.getNode(raw.ID).update({ _query: { version: raw.Version.Index }, _body: { ...raw.Spec, Labels: labels } } as never);
    return true;
  } catch (err) {
    if (outOfSequence(err)) return false;
    throw err;
  }
}

/** What a dry run says: who holds the swarm lock now, if anyone (read only). */
export async function readSwarmLock(swarm: Dockerode, o: { now?: () => number; alive?: (pid: number) => boolean } = {}): Promise<{ node: string; value: SwarmLockValue; stale: boolean } | undefined> {
  const raw = await lockNode(swarm);
  const value = parse(raw.Spec?.Labels?.[SWARM_LOCK_LABEL]);
  if (!value) return undefined;
  return { node: raw.Description?.Hostname ?? raw.ID, value, stale: isSwarmLockStale(value, (o.now ?? Date.now)(), o.alive) };
}

export async function acquireSwarmLock(swarm: Dockerode, o: SwarmLockOptions): Promise<SwarmLock> {
  const now = o.now ?? Date.now;
  const ttl = o.ttlMs ?? SWARM_LOCK_TTL_MS;
  const mine = (): SwarmLockValue => ({ ...value, expiresAt: new Date(now() + ttl).toISOString() });
  const value: SwarmLockValue = { host: os.hostname(), pid: process.pid, command: o.command, token: randomUUID(), startedAt: new Date(now()).toISOString(), expiresAt: '' };
  for (let attempt = 0; attempt < 8; attempt++) {
    const raw = await lockNode(swarm);
    const node: string = raw.Description?.Hostname ?? raw.ID;
    const held = parse(raw.Spec?.Labels?.[SWARM_LOCK_LABEL]);
    if (held && held.token !== value.token) {
      if (!isSwarmLockStale(held, now(), o.alive)) {
        throw new SafetyError(
          `another chaos run holds the lock on this swarm (label ${SWARM_LOCK_LABEL} on node ${node}): ${describeSwarmLock(held)}; ` +
            `wait for it to finish, or once it is surely gone: docker node update --label-rm ${SWARM_LOCK_LABEL} ${node}`,
        );
      }
    }
    const next = mine();
    if (!(await casLabel(swarm, raw, next))) continue; // someone else changed the node: look again
    Object.assign(value, { expiresAt: next.expiresAt });
    if (held && held.token !== value.token) o.log?.(`warning: took over a stale lock on the swarm (${describeSwarmLock(held)})`);
    return holdSwarmLock(swarm, node, value, { ...o, ttlMs: ttl, now });
  }
  throw new SafetyError('could not take the lock on the swarm: its manager node kept changing under us; try again');
}

function holdSwarmLock(swarm: Dockerode, node: string, value: SwarmLockValue, o: SwarmLockOptions & { ttlMs: number; now: () => number }): SwarmLock {
  let timer: NodeJS.Timeout | undefined;
  let released = false;
  /** CAS-updates the label while it is ours: renew (value) or release (undefined) */
  const whileOurs = async (next: SwarmLockValue | undefined): Promise<boolean> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await lockNode(swarm);
      const held = parse(raw.Spec?.Labels?.[SWARM_LOCK_LABEL]);
      if (!held || held.token !== value.token) return false;
      if (await casLabel(swarm, raw, next)) return true;
    }
    return false;
  };
  if (o.renew !== false) {
    timer = setInterval(() => {
      const next = { ...value, expiresAt: new Date(o.now() + o.ttlMs).toISOString() };
      whileOurs(next).then(
        (ok) => {
          if (ok) value.expiresAt = next.expiresAt;
          else o.log?.(`warning: the lock on the swarm (node ${node}) is no longer ours: another run may have taken it over`);
        },
        (err) => o.log?.(`warning: could not renew the lock on the swarm (node ${node}): ${err instanceof Error ? err.message : String(err)}`),
      );
    }, Math.max(1000, Math.floor(o.ttlMs / 3)));
    timer.unref();
  }
  return {
    node,
    value,
    async release() {
      if (released) return;
      released = true;
      if (timer) clearInterval(timer);
      try {
        await whileOurs(undefined);
      } catch (err) {
        o.log?.(`warning: could not remove the lock on the swarm (label ${SWARM_LOCK_LABEL} on ${node}; it expires by itself at ${value.expiresAt}): ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}
