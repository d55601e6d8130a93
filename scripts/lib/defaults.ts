// The one defaults object. Precedence everywhere: flags > environment > config file > these defaults.
import os from 'node:os';
import path from 'node:path';

export const defaults = {
  /** Where the embedded local swarm publishes on the host: loopback only. */
  local: {
    prefix: 'gameday',
    workers: 3,
    ingressPort: 18080, // HAProxy :80 -> web frontend, /api/ -> TODO API
    statsPort: 18936, // HAProxy stats page and Prometheus endpoint (basic auth)
    registryPort: 15000,
    statsUser: 'gameday',
    // the stats password is generated per local swarm: scripts/lib/stats-password.ts
  },
  target: {
    ingressUrl: 'http://127.0.0.1:18080',
    statsUrl: 'http://127.0.0.1:18936',
  },
  tools: {
    dir: path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'swarm-gameday', 'bin'),
  },
  reportsDir: 'reports/runs',
} as const;

/** Image references of the application under test; each can be overridden from the environment. */
export const imageEnv = {
  tododb: 'GAMEDAY_IMAGE_TODODB',
  todoapi: 'GAMEDAY_IMAGE_TODOAPI',
  todoweb: 'GAMEDAY_IMAGE_TODOWEB',
  nginx: 'GAMEDAY_IMAGE_NGINX',
  haproxy: 'GAMEDAY_IMAGE_HAPROXY',
} as const;
