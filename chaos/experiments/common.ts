// Shared pieces of the experiment definitions: the roles they act on (mapped onto a target's
// services by chaos/targets/bind.ts; the TODO app is the default target) and the default steady
// state / timing, so each experiment file states only what is its own.
import type { ExperimentInput } from '../model.ts';
import { ROLES, type Role } from '../targets/schema.ts';

/** Experiments name roles, never services. */
export const ROLE = {
  primary: 'dbPrimary',
  replica: 'dbReplicas',
  api: 'api',
  apiNginx: 'apiProxy',
  web: 'web',
  webNginx: 'webProxy',
  haproxy: 'ingress',
} as const satisfies Record<string, Role>;

/** every role (a target without one, e.g. no web tier, leaves it out of the steady state) */
export const ALL_ROLES: string[] = [...ROLES];

export const STEADY: NonNullable<ExperimentInput['steadyState']> = {
  services: ALL_ROLES,
  ingress: ['/api/healthz', '/'],
  replication: true,
};

/** Short phases: CI runs every experiment in well under a minute each. */
export const TIMING = { beforeMs: 5000, afterMs: 5000, recoveryTimeoutMs: 120_000 };

/** What a kill of one of two tasks may cost at most: a few requests in flight. */
export const ONE_TASK_LOST = { minAvailability: 99, maxOutageMs: 3000, maxRecoveryMs: 60_000 };

/** A whole worker gone for a while: Swarm needs missed heartbeats before it moves the tasks. */
export const NODE_TIMING = { ...TIMING, recoveryTimeoutMs: 180_000 };

/** What a silent worker (frozen, cut off, engine hung) may cost: a dip while timeouts and checks
 *  route around it, no long blackout of reads or of writes. */
export const SILENT_NODE = { minAvailability: 70, maxOutageMs: 5000, maxWriteOutageMs: 5000, maxRecoveryMs: 150_000 };
