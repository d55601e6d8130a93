// Thin handles over the Docker API (dockerode): one for the host engine, one for the swarm.
// Every call has a timeout (a hung manager must not hang a run) and its errors name the
// operation and the host.
import fs from 'node:fs';
import Docker from 'dockerode';
import { DOCKER_HOST_EXPECTED, parseDockerHost, type DockerHostParts } from './config-errors.ts';
import { ConfigError, DockerError } from './errors.ts';
import { LOCAL_MANAGER_DOCKER_HOST } from './local-swarm-names.ts';
import { sshAgent, sshAuthFromEnv } from './ssh.ts';
import { embeddedManagerUsesTls, envTlsDir, localClientCertDir, readManagerApiMode, readTlsDir } from './tls.ts';

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
  return withOperationErrors(newDocker(dockerOptions('unix:///var/run/docker.sock')), 'unix:///var/run/docker.sock');
}

/** How a docker host is reached: the parsed address plus, for tcp://, the TLS folder in use. */
export interface DockerTransport {
  parts: DockerHostParts;
  /** tcp:// with TLS: the folder with ca.pem, cert.pem, key.pem, and what named it */
  tls?: { dir: string; source: string };
}

/**
 * The transport the docker CLI would use for `dockerHost` with this environment: for tcp://,
 * TLS when DOCKER_TLS_VERIFY is set (files from DOCKER_CERT_PATH, else ~/.docker). The embedded
 * default's address without DOCKER_TLS_VERIFY uses the certificates stack:up made for it, unless
 * its manager was created before TLS (see tls.ts readManagerApiMode).
 */
export function dockerTransport(dockerHost: string, source = 'DOCKER_HOST', env: NodeJS.ProcessEnv = process.env): DockerTransport {
  const r = parseDockerHost(dockerHost);
  if (!r.ok) throw new ConfigError(`${source}: expected ${r.expected === DOCKER_HOST_EXPECTED ? r.expected : `${DOCKER_HOST_EXPECTED}; ${r.expected}`}, got ${JSON.stringify(dockerHost)}`);
  const parts = r.parts;
  if (parts.protocol !== 'tcp') return { parts };
  const fromEnv = envTlsDir(env);
  if (fromEnv) return { parts, tls: fromEnv };
  if (dockerHost.trim().replace(/\/$/, '') === LOCAL_MANAGER_DOCKER_HOST && embeddedManagerUsesTls(env)) {
    return { parts, tls: { dir: localClientCertDir(env), source: 'the embedded local swarm\'s client certificate (npm run stack:up makes it)' } };
  }
  return { parts };
}

/**
 * Parses a DOCKER_HOST value (unix://, tcp://HOST:PORT, ssh://USER@HOST[:PORT]) into dockerode
 * options, with TLS (tcp://) and ssh authentication taken from the environment as the docker CLI
 * and ssh take them. Input from users is validated at the edge (chaos/config.ts) with the same
 * parser; this throws a ConfigError naming `source` (or the variable) for anything that slipped
 * through, before any connection.
 */
export function dockerOptions(dockerHost: string, source = 'DOCKER_HOST', env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions {
  const { parts: p, tls } = dockerTransport(dockerHost, source, env);
  const timeout = dockerTimeoutMs(env);
  // host: undefined on purpose: docker-modem fills unset options from DOCKER_HOST, and a host from
  // there beats socketPath (a user's DOCKER_HOST=tcp://manager sent host-engine calls to the swarm)
  if (p.protocol === 'unix') return { socketPath: p.socketPath, host: undefined, timeout };
  if (p.protocol === 'ssh') {
    // our own agent: one ssh connection, `docker system dial-stdio` per request (ssh.ts)
    const refusals: string[] = [];
    const agent = sshAgent({ host: p.host, port: p.port, username: p.username }, sshAuthFromEnv(env), { readyTimeoutMs: Math.min(timeout, 20_000), refusals });
    // sshRefusals: read by withOperationErrors (ssh2 itself only says "Host denied")
    return { protocol: 'http', host: p.host, port: p.port, agent, timeout, ...({ sshRefusals: refusals } as object) } as Docker.DockerOptions;
  }
  if (!tls) return { host: p.host, port: p.port, protocol: 'http', timeout };
  if (tls.source.startsWith('the embedded') && !fs.existsSync(tls.dir)) {
    // not made yet (no stack:up on this machine): building a handle must not fail, its first call
    // does, with the hint withOperationErrors adds
    return { host: p.host, port: p.port, protocol: 'https', timeout, ...({ missingLocalCerts: tls.dir } as object) } as Docker.DockerOptions;
  }
  const f = readTlsDir(tls.dir, tls.source);
  return { host: p.host, port: p.port, protocol: 'https', ca: f.ca, cert: f.cert, key: f.key, timeout };
}

/**
 * The environment a docker CLI child needs for `dockerHost`: DOCKER_HOST, and for TLS
 * DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (always given: a DOCKER_CONFIG set for the child would
 * otherwise move the CLI's default); for plain hosts both are cleared (undefined drops them).
 */
export function dockerCliEnv(dockerHost: string, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const { tls } = dockerTransport(dockerHost, 'DOCKER_HOST', env);
  if (!tls) return { DOCKER_HOST: dockerHost, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined };
  readTlsDir(tls.dir, tls.source); // the same ConfigError as the API handle, before the CLI runs
  return { DOCKER_HOST: dockerHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.dir };
}

/**
 * dockerode with exactly these options: docker-modem also reads DOCKER_HOST, DOCKER_CERT_PATH and
 * friends from the environment (reading cert files the user did not mean for this handle, throwing
 * a bare ENOENT, or, for an ssh:// DOCKER_HOST, its agent beating ours), so they are hidden while
 * it is built (synchronous: nothing else runs meanwhile).
 */
export function newDocker(options: Docker.DockerOptions): Docker {
  const keys = ['DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'] as const;
  const saved = keys.map((k) => [k, process.env[k]] as const);
  for (const k of keys) delete process.env[k];
  try {
    return new Docker(options);
  } finally {
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  }
}

/** A swarm manager's engine: the user's DOCKER_HOST, else the embedded default's manager. */
export function swarmDocker(dockerHost?: string, env: NodeJS.ProcessEnv = process.env): Docker {
  const h = dockerHost ?? env.DOCKER_HOST ?? LOCAL_MANAGER_DOCKER_HOST;
  const o = dockerOptions(h, 'DOCKER_HOST', env);
  const d = newDocker(o);
  Object.assign(d.modem, { sshRefusals: (o as { sshRefusals?: string[] }).sshRefusals, missingLocalCerts: (o as { missingLocalCerts?: string }).missingLocalCerts });
  return withOperationErrors(d, h);
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
    let retried = false;
    const onDone = (err: any, data?: any): void => {
      if (!err) return callback(null, data);
      // ssh:// only: a dial-stdio channel can end before the engine answered (seen once in CI on
      // the first call of a fresh connection); a read is safe to send once more
      const ssh = (modem as { sshRefusals?: string[] }).sshRefusals !== undefined;
      const method = String(options?.method ?? 'GET').toUpperCase();
      if (ssh && !retried && (method === 'GET' || method === 'HEAD') && !err.statusCode && /ECONNRESET|socket hang up|Channel open failure/i.test(String(err.code ?? '') + String(err.message ?? ''))) {
        retried = true;
        setTimeout(() => dial(options, onDone), 250);
        return;
      }
      const op = `${options?.method ?? 'GET'} ${String(options?.path ?? '?').replace(/\?.*$/, '')}`;
      const waited = Date.now() - started;
      const timedOut = modem.timeout !== undefined && waited >= modem.timeout - 50 && !err.statusCode;
      let why = timedOut ? `no answer within ${Math.round(modem.timeout! / 1000)} s` : String(err.message ?? err).trim().slice(0, 300);
      const refusals = (modem as { sshRefusals?: string[] }).sshRefusals;
      if (refusals?.length) why = `${why}: ${refusals.at(-1)}`;
      // a TLS-only engine answers plain HTTP with 400 and this text: say what to set
      const missing = (modem as { missingLocalCerts?: string }).missingLocalCerts;
      if (missing) why += ` (the embedded local swarm's client certificate is not in ${missing}: npm run stack:up makes it)`;
      else if (/HTTP request to an HTTPS server/i.test(why)) why += ' (the engine wants TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)';
      else if (host === LOCAL_MANAGER_DOCKER_HOST && readManagerApiMode() === 'tcp' && /EPROTO|wrong version number|ECONNRESET|socket hang up/i.test(why)) {
        why += ` (this manager was created before its API had TLS: npm run stack:down && npm run stack:up)`;
      }
      const wrapped = new DockerError(`docker API ${op} on ${host}: ${why}${retried ? ' (after one retry)' : ''}`, { cause: err });
      Object.assign(wrapped, { statusCode: err.statusCode, json: err.json, reason: err.reason, timedOut });
      callback(wrapped, data);
    };
    return dial(options, onDone);
  };
  return docker;
}
