// Shared pieces of the experiment definitions: the services of the TODO application (seed names)
// and the default steady state / timing, so each experiment file states only what is its own.
import type { ExperimentInput } from '../model.ts';

export const SERVICES = {
  primary: 'todo_mysql_master',
  replica: 'todo_mysql_slave',
  api: 'todo_app_api',
  apiNginx: 'todo_app_nginx',
  web: 'todo_frontend_web',
  webNginx: 'todo_frontend_nginx',
  haproxy: 'todo_ingress_haproxy',
} as const;

export const ALL_SERVICES = Object.values(SERVICES);

export const STEADY: NonNullable<ExperimentInput['steadyState']> = {
  services: ALL_SERVICES,
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
