// Thin handles over the Docker API (dockerode): one for the host engine, one for the swarm.
// Every call has a timeout (a hung manager must not hang a run) and its errors name the
// operation and the host.
import Docker from 'dockerode';
import { DOCKER_HOST_EXPECTED, parseDockerHost } from './config-errors.ts';
import { ConfigError, DockerError } from './errors.ts';
import { LOCAL_MANAGER_DOCKER_HOST } from './local-swarm-names.ts';

/** No answer (not even a byte) for this long fails a Docker API call; GAMEDAY_DOCKER_TIMEOUT_MS moves it. */
export const DOCKER_API_TIMEOUT_MS = 30_000;

export function dockerTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.GAMEDAY_DOCKER_TIMEOUT_MS;
  if (v === undefined || v === '') return DOCKER_API_TIMEOUT_MS;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 100 && n <= 600_000)) throw new ConfigError(`GAMEDAY_DOCKER_TIMEOUT_MS: expected milliseconds from 100 to 600000, got ${JSON.stringify(v)}`);
  return n;
}

/** The engine on this machine (local socket): runs the docker-in-docker nodes of the local swarm. */
export function hostDocker(): Docker {
  return withOperationErrors(new Docker(dockerOptions('unix:///var/run/docker.sock')), 'unix:///var/run/docker.sock');
}

/**
 * Parses a DOCKER_HOST value (unix://, tcp://HOST:PORT, ssh://USER@HOST[:PORT]) into dockerode
 * options. Input from users is validated at the edge (chaos/config.ts) with the same parser; this
 * throws a ConfigError naming `source` for anything that slipped through.
 */
export function dockerOptions(dockerHost: string, source = 'DOCKER_HOST'): Docker.DockerOptions {
  const r = parseDockerHost(dockerHost);
  if (!r.ok) throw new ConfigError(`${source}: expected ${r.expected === DOCKER_HOST_EXPECTED ? r.expected : `${DOCKER_HOST_EXPECTED}; ${r.expected}`}, got ${JSON.stringify(dockerHost)}`);
  const timeout = dockerTimeoutMs();
  const p = r.parts;
  // host: undefined on purpose: docker-modem fills unset options from DOCKER_HOST, and a host from
  // there beats socketPath (a user's DOCKER_HOST=tcp://manager sent host-engine calls to the swarm)
  if (p.protocol === 'unix') return { socketPath: p.socketPath, host: undefined, timeout };
  if (p.protocol === 'ssh') return { protocol: 'ssh', host: p.host, port: p.port, username: p.username, timeout };
  return { host: p.host, port: p.port, protocol: 'http', timeout };
}

/** A swarm manager's engine: the user's DOCKER_HOST, else the embedded default's manager. */
export function swarmDocker(dockerHost?: string): Docker {
  const h = dockerHost ?? process.env.DOCKER_HOST ?? LOCAL_MANAGER_DOCKER_HOST;
  return withOperationErrors(new Docker(dockerOptions(h)), h);
}

/**
 * Wraps the modem's one entry point, so a failed call says what it was and where: "docker API
 * GET /nodes on tcp://10.0.0.5:2375: no answer within 30 s". The original error (statusCode,
 * json) stays reachable as the cause and its statusCode is copied, so callers can still test 404.
 */
export function withOperationErrors(docker: Docker, host: string): Docker {
  const modem = docker.modem as unknown as { dial: (o: any, cb: (err: any, data?: any) => void) => void; timeout?: number };
  const dial = modem.dial.bind(modem);
  modem.dial = (options: any, callback: (err: any, data?: any) => void) => {
    const started = Date.now();
    return dial(options, (err: any, data?: any) => {
      if (!err) return callback(null, data);
      const op = `${options?.method ?? 'GET'} ${String(options?.path ?? '?').replace(/\?.*$/, '')}`;
      const waited = Date.now() - started;
      const timedOut = modem.timeout !== undefined && waited >= modem.timeout - 50 && !err.statusCode;
      const why = timedOut ? `no answer within ${Math.round(modem.timeout! / 1000)} s` : String(err.message ?? err).trim().slice(0, 300);
      const wrapped = new DockerError(`docker API ${op} on ${host}: ${why}`, { cause: err });
      Object.assign(wrapped, { statusCode: err.statusCode, json: err.json, reason: err.reason, timedOut });
      callback(wrapped, data);
    });
  };
  return docker;
}
