// The steady-state hypothesis: target services at desired replicas with every task running (Swarm
// only calls a task running once its healthcheck passed), the ingress answering, and replication
// running on every replica. Checked before (else the run aborts) and after (else it deviated).
// Cheap parts first; the replication read is skipped once the hypothesis has failed.
import type Dockerode from 'dockerode';
import { servicesState, sleep } from './swarm.ts';
import type { SteadyState } from './model.ts';

export interface SteadyStateResult {
  ok: boolean;
  details: string[];
}

export interface ReplicaStatus {
  task: string;
  ioRunning: boolean;
  sqlRunning: boolean;
  heartbeatLagMs: number | null;
  error?: string;
}

export interface SteadyEnv {
  swarm: Dockerode;
  ingressUrl: string;
  /** replication state per replica; absent when the DB tasks cannot be reached (remote swarm) */
  replication?: () => Promise<ReplicaStatus[]>;
  /** heartbeat lag above which a replica is not in steady state */
  maxLagMs?: number;
}

export type SteadyStateCheck = (ss: SteadyState) => Promise<SteadyStateResult>;

async function probeIngress(base: string, p: string): Promise<string | undefined> {
  try {
    const res = await fetch(new URL(p, base), { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.ok ? undefined : `GET ${p} answered ${res.status}`;
  } catch (err) {
    return `GET ${p} failed: ${(err as Error).message}`;
  }
}

export function steadyStateCheck(env: SteadyEnv): SteadyStateCheck {
  return async (ss) => {
    const details: string[] = [];
    let ok = true;
    if (ss.services.length) {
      for (const s of await servicesState(env.swarm, ss.services)) {
        if (!s.ok) {
          ok = false;
          details.push(`${s.service}: ${s.running}/${s.desired} running${s.updateState ? `, update ${s.updateState}` : ''}${s.notRunning.length ? ` (${s.notRunning.slice(0, 3).join('; ')})` : ''}`);
        }
      }
      if (ok) details.push(`${ss.services.length} service(s) at desired replicas`);
    }
    for (const p of ss.ingress) {
      const err = await probeIngress(env.ingressUrl, p);
      if (err) {
        ok = false;
        details.push(err);
      }
    }
    if (ss.ingress.length && details.every((d) => !d.startsWith('GET'))) details.push(`ingress answers ${ss.ingress.join(', ')}`);
    if (ss.replication && !ok) {
      // the hypothesis already failed: on a remote swarm each replication read is an agent task
      // per replica, and a recovery wait polls every second; starting them while the app is still
      // down only loads the swarm that is trying to recover
      details.push('replication not checked (the hypothesis already failed)');
    } else if (ss.replication) {
      if (!env.replication) {
        details.push('replication not checked (DB tasks not reachable on this target)');
      } else {
        const reps = await env.replication();
        const maxLag = env.maxLagMs ?? 5000;
        const bad = reps.filter((r) => !r.ioRunning || !r.sqlRunning || r.heartbeatLagMs === null || r.heartbeatLagMs > maxLag);
        if (!reps.length) {
          ok = false;
          details.push('no running DB replica');
        } else if (bad.length) {
          ok = false;
          for (const r of bad) {
            details.push(`${r.task}: io=${r.ioRunning} sql=${r.sqlRunning} lag=${r.heartbeatLagMs ?? 'null'} ms${r.error ? ` (${r.error.slice(0, 120)})` : ''}`);
          }
        } else {
          details.push(`replication running on ${reps.length} replica(s), lag <= ${Math.max(...reps.map((r) => r.heartbeatLagMs ?? 0))} ms`);
        }
      }
    }
    return { ok, details };
  };
}

/** Polls the hypothesis until it holds; returns the last result and how long it took. */
export async function waitSteadyState(
  check: SteadyStateCheck,
  ss: SteadyState,
  timeoutMs: number,
  signal?: AbortSignal,
  intervalMs = 1000,
): Promise<SteadyStateResult & { ms: number | null }> {
  const t0 = Date.now();
  let last: SteadyStateResult = { ok: false, details: ['not checked'] };
  for (;;) {
    try {
      last = await check(ss);
    } catch (err) {
      last = { ok: false, details: [`steady-state check failed: ${(err as Error).message}`] };
    }
    if (last.ok) return { ...last, ms: Date.now() - t0 };
    if (Date.now() - t0 >= timeoutMs || signal?.aborted) return { ...last, ms: null };
    try {
      await sleep(intervalMs, signal);
    } catch {
      return { ...last, ms: null };
    }
  }
}
