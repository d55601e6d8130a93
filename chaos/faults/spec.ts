// Service spec helpers shared by the update faults: what counts as "the same spec" for undo,
// waiting for Swarm's update state machine to settle, and the update / capture / restore steps.
import type Dockerode from 'dockerode';
import { z } from 'zod';
import { durationMs, MAX_DURATION_MS } from '../model.ts';
import { inspectService, waitFor } from '../swarm.ts';
import type { ChaosContext, FaultTargets, UndoEntry } from './types.ts';

/** The parts of a TaskTemplate an update fault changes; ForceUpdate is ignored on purpose. */
export function taskFingerprint(spec: any): string {
  const t = spec?.TaskTemplate ?? {};
  const c = t.ContainerSpec ?? {};
  return JSON.stringify({
    image: c.Image,
    env: [...(c.Env ?? [])].sort(),
    command: c.Command ?? null,
    args: c.Args ?? null,
    healthcheck: c.Healthcheck ?? null,
    stopGrace: c.StopGracePeriod ?? null,
    update: spec?.UpdateConfig ?? null,
  });
}

export function setEnv(env: string[] | undefined, patch: Record<string, string | null>): string[] {
  const map = new Map((env ?? []).map((e) => [e.split('=')[0], e] as const));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) map.delete(k);
    else map.set(k, `${k}=${v}`);
  }
  return [...map.values()];
}

export const TERMINAL_UPDATE_STATES = ['completed', 'paused', 'rollback_completed', 'rollback_paused'];

/**
 * Waits until the update Swarm started after `since` (the UpdateStatus.StartedAt seen before the
 * change) reaches a terminal state, and returns that state. `ourVersion` is the spec version our
 * change produced: a later version with no update status means another deploy (`docker stack
 * deploy`) replaced the spec and reset the status, so our update is moot ("reset").
 */
export async function waitUpdateSettled(
  swarm: Dockerode,
  service: string,
  since: string | undefined,
  timeoutMs: number,
  ourVersion?: number,
): Promise<{ state: string; message?: string }> {
  let started = false;
  const reset = { state: 'reset', message: 'the update status was reset: another deploy replaced the spec meanwhile' };
  return waitFor(
    `the update of ${service} to settle`,
    async () => {
      const svc = await inspectService(swarm, service);
      const st = svc.UpdateStatus;
      if (st && st.StartedAt !== since) started = true;
      if (!st && (started || (ourVersion !== undefined && svc.Version.Index > ourVersion))) return reset;
      if (!st || st.StartedAt === since) return undefined;
      return TERMINAL_UPDATE_STATES.includes(st.State) ? { state: st.State as string, message: st.Message as string | undefined } : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

/** Sends a full spec update and returns the spec version it produced (for waitUpdateSettled). */
export async function sendSpec(swarm: Dockerode, id: string, version: number, spec: unknown): Promise<number> {
  await swarm.getService(id).update({ _query: { version }, _body: spec } as never);
  const after = await swarm.getService(id).inspect();
  return after.Version.Index as number;
}

/**
 * Restores TaskTemplate + UpdateConfig captured in `previous` unless the service already has them,
 * and waits for that rolling update. If another deploy resets the update meanwhile, the spec is
 * compared again (that deploy may well have restored it) and the restore retried.
 */
export async function restoreSpec(swarm: Dockerode, service: string, previous: any, log: (l: string) => void, timeoutMs = 240_000): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const svc = await inspectService(swarm, service);
    if (taskFingerprint(svc.Spec) === taskFingerprint(previous)) {
      if (attempt === 1) return false;
      // a foreign deploy put the same spec back: wait for its rollout like for ours
      if (svc.UpdateStatus?.State === 'updating') await waitUpdateSettled(swarm, service, undefined, timeoutMs);
      return true;
    }
    log(`restore the spec of ${service}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    const since = svc.UpdateStatus?.StartedAt;
    const spec = structuredClone(svc.Spec);
    spec.TaskTemplate = { ...previous.TaskTemplate, ForceUpdate: (svc.Spec.TaskTemplate?.ForceUpdate ?? 0) + 1 };
    spec.UpdateConfig = previous.UpdateConfig;
    spec.RollbackConfig = previous.RollbackConfig;
    const ours = await sendSpec(swarm, svc.ID, svc.Version.Index, spec);
    // the restore is itself a rolling update: the rollback is done when it is
    const end = await waitUpdateSettled(swarm, service, since, timeoutMs, ours);
    log(`restore of ${service}: ${end.state}`);
    if (end.state === 'completed') return true;
    if (end.state !== 'reset' || attempt >= 3) throw new Error(`restoring the spec of ${service} ended ${end.state}: ${end.message ?? ''}`);
  }
}

/** Params every spec-update fault takes; each fault extends them with its own. */
export const specUpdateParams = z.object({
  service: z.string().min(1),
  /** env vars to set (null removes one) */
  env: z.record(z.string(), z.string().nullable()).default({}),
  timeoutMs: durationMs(MAX_DURATION_MS, 1).default(180_000),
});

/** The undo entry of a fault that changes a service spec: the spec before the change. */
export interface SpecEntry extends UndoEntry {
  service: string;
  previous: any;
}

/**
 * The parts every spec-update fault shares: it targets one service, prepare captures the spec
 * before the change, undo puts that spec back (restoreSpec) unless it is already in place.
 */
export function specFaultParts<P extends { service: string }>(kind: string) {
  return {
    needsHost: false,
    targets: (p: P): FaultTargets => ({ services: [p.service], nodes: [] }),
    async prepare(ctx: ChaosContext, p: P, name: string): Promise<SpecEntry> {
      const svc = await inspectService(ctx.swarm, p.service);
      return { kind, name, params: p, service: p.service, previous: svc.Spec };
    },
    async undo(ctx: ChaosContext, entry: SpecEntry): Promise<void> {
      await restoreSpec(ctx.swarm, entry.service, entry.previous, ctx.log);
    },
  };
}

/**
 * Sets `o.env` on a copy of the current spec, lets `change` edit the copy further, sends it as one
 * update and waits until Swarm settles that update; returns its end state and how long it took.
 */
export async function updateSpec(
  swarm: Dockerode,
  service: string,
  o: { env: Record<string, string | null>; timeoutMs: number },
  change: (spec: any, container: any) => void,
): Promise<{ state: string; message?: string; ms: number }> {
  const svc = await inspectService(swarm, service);
  const since = svc.UpdateStatus?.StartedAt;
  const spec = structuredClone(svc.Spec);
  const c = spec.TaskTemplate.ContainerSpec;
  c.Env = setEnv(c.Env, o.env);
  change(spec, c);
  const t0 = Date.now();
  const ours = await sendSpec(swarm, svc.ID, svc.Version.Index, spec);
  const end = await waitUpdateSettled(swarm, service, since, o.timeoutMs, ours);
  return { ...end, ms: Date.now() - t0 };
}
