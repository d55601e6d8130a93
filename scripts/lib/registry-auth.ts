// Credentials for the registries the swarm's nodes pull from (issue 14).
// The embedded registry (gameday-registry) requires htpasswd (bcrypt) auth. Its one user's password
// is generated once and kept for the user in the state dir (like the stats password), never in the
// repo:  <state dir>/local-swarm/registry/password  (0600, dir 0700)
//        <state dir>/local-swarm/registry/htpasswd  (bcrypt, bind-mounted read-only into the registry)
//        <state dir>/local-swarm/registry/docker-config/config.json  (the suite's own DOCKER_CONFIG:
//        the user's ~/.docker/config.json is never written)
// A user's own registry (GAMEDAY_AGENT_REGISTRY, GAMEDAY_LOAD_REGISTRY) is authenticated the usual
// Docker way: `docker login HOST` once; pushes use the user's docker config as is, and service
// creation reads the credential for HOST from that config (its credential helper or `auths`).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaults } from './defaults.ts';
import { EnvironmentError } from './errors.ts';
import { localSwarmStateDir, writePrivateFile } from './state-dir.ts';

export const REGISTRY_USER = 'gameday';
/** how the swarm's nodes name the embedded registry (bridge network alias) */
export const NODE_REGISTRY = 'registry:5000';

/** What dockerode sends (base64 JSON) in X-Registry-Auth. */
export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export function registryStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSwarmStateDir(env), 'registry');
}
export const registryPasswordFile = (env: NodeJS.ProcessEnv = process.env) => path.join(registryStateDir(env), 'password');
export const registryHtpasswdFile = (env: NodeJS.ProcessEnv = process.env) => path.join(registryStateDir(env), 'htpasswd');
export const registryDockerConfigDir = (env: NodeJS.ProcessEnv = process.env) => path.join(registryStateDir(env), 'docker-config');

/** The host names the embedded registry is pushed to / pulled from. */
export function localRegistryHosts(port: number = defaults.local.registryPort): string[] {
  return [`127.0.0.1:${port}`, NODE_REGISTRY];
}


/** The embedded registry's password, if one was generated (undefined: a registry of an older version, no auth). */
export function readRegistryPassword(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return fs.readFileSync(registryPasswordFile(env), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The password, generated (and written 0600) when there is none yet. */
export function ensureRegistryPassword(env: NodeJS.ProcessEnv = process.env): { password: string; created: boolean } {
  const have = readRegistryPassword(env);
  if (have) return { password: have, created: false };
  const password = crypto.randomBytes(24).toString('base64url');
  writePrivateFile(registryPasswordFile(env), `${password}\n`);
  return { password, created: true };
}

/** config.json for DOCKER_CONFIG (pure): basic auth for each host, no credential store. */
export function dockerConfigJson(username: string, password: string, hosts: string[]): { auths: Record<string, { auth: string }> } {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return { auths: Object.fromEntries(hosts.map((h) => [h, { auth }])) };
}

/** The suite's DOCKER_CONFIG dir for the embedded registry (written each call: cheap, and a
 *  regenerated password is picked up); undefined while no password exists. */
export function localDockerConfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const password = readRegistryPassword(env);
  if (!password) return undefined;
  const dir = registryDockerConfigDir(env);
  const text = `${JSON.stringify(dockerConfigJson(REGISTRY_USER, password, localRegistryHosts()), null, 2)}\n`;
  const file = path.join(dir, 'config.json');
  let old = '';
  try {
    old = fs.readFileSync(file, 'utf8');
  } catch {
    /* first time */
  }
  if (old !== text) writePrivateFile(file, text);
  return dir;
}

/** The env for a `docker` command that talks to the embedded registry (push, stack deploy). */
export function localRegistryEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const dir = localDockerConfig(env);
  return dir ? { DOCKER_CONFIG: dir } : {};
}

/** The registry host of an image reference (pure): Docker's rule — the first path component is a
 *  host when it has a '.' or ':' or is 'localhost'; otherwise Docker Hub. */
export function imageRegistryHost(ref: string): string {
  const first = ref.split('/')[0];
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

/** The auth the embedded swarm's nodes pull registry:5000 images with; undefined without a password. */
export function localAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig | undefined {
  const password = readRegistryPassword(env);
  return password ? { username: REGISTRY_USER, password, serveraddress: NODE_REGISTRY } : undefined;
}

/** The user's docker config dir (read only): $DOCKER_CONFIG, else ~/.docker. */
export function userDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ? path.resolve(env.DOCKER_CONFIG) : path.join(env.HOME || os.homedir(), '.docker');
}

type CredHelper = (helper: string, host: string) => { Username?: string; Secret?: string } | undefined;

/** Runs docker-credential-<helper> get (the protocol docker login stores with). */
const runCredHelper: CredHelper = (helper, host) => {
  const r = spawnSync(`docker-credential-${helper}`, ['get'], { input: host, encoding: 'utf8', timeout: 15_000 });
  if (r.error || r.status !== 0) return undefined; // not stored for this host, or no helper
  try {
    return JSON.parse(r.stdout);
  } catch {
    return undefined;
  }
};

/** What `docker login HOST` stored for HOST in a docker config (pure but for the helper call). */
export function authFromDockerConfig(config: any, host: string, helper: CredHelper = runCredHelper): AuthConfig | undefined {
  if (!config || typeof config !== 'object') return undefined;
  const named = config.credHelpers?.[host] ?? config.credsStore;
  if (typeof named === 'string' && named) {
    const c = helper(named, host);
    if (c?.Secret) {
      // the helper protocol's "<token>" user marks an identity token
      return c.Username === '<token>' ? { identitytoken: c.Secret, serveraddress: host } : { username: c.Username, password: c.Secret, serveraddress: host };
    }
  }
  const entry = config.auths?.[host] ?? config.auths?.[`https://${host}`] ?? config.auths?.[`http://${host}`];
  if (!entry) return undefined;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: host };
  if (typeof entry.auth === 'string' && entry.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: host };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: host };
  return undefined;
}

/** The user's stored credential for a registry host, or undefined (anonymous pull). */
export function userRegistryAuth(host: string, env: NodeJS.ProcessEnv = process.env, helper?: CredHelper): AuthConfig | undefined {
  const file = path.join(userDockerConfigDir(env), 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new EnvironmentError(`the docker config ${file} is not JSON (${(err as Error).message}); repair it or log in again: docker login ${host}`);
  }
  return authFromDockerConfig(config, host, helper);
}

/** The auth a service's image is pulled with: the embedded registry's own for registry:5000, else
 *  the user's docker login for the image's registry (undefined: anonymous). */
export function pullAuthFor(image: string, env: NodeJS.ProcessEnv = process.env): AuthConfig | undefined {
  const host = imageRegistryHost(image);
  if (host === NODE_REGISTRY) return localAuthConfig(env);
  return userRegistryAuth(host, env);
}

/** Removes passwords (and their base64 forms) from a text meant for a log line or an error. */
export function redactSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    for (const form of [s, Buffer.from(`${REGISTRY_USER}:${s}`).toString('base64')]) out = out.split(form).join('***');
  }
  return out;
}

/** The DOCKER_CONFIG for `docker stack deploy --with-registry-auth` of these images: the suite's
 *  own when every image is on the embedded registry (or there is no password yet: undefined keeps
 *  the user's); else a temporary one (0700, removed by cleanup) holding the embedded registry's
 *  credential and the user's stored credential for each other registry host. */
export function deployDockerConfig(images: string[], env: NodeJS.ProcessEnv = process.env): { dir?: string; cleanup: () => void } {
  const none = { cleanup: () => undefined };
  const local = localDockerConfig(env);
  if (!local) return none;
  const others = [...new Set(images.map(imageRegistryHost).filter((h) => h !== NODE_REGISTRY))];
  if (!others.length) return { dir: local, cleanup: () => undefined };
  const config = dockerConfigJson(REGISTRY_USER, readRegistryPassword(env)!, localRegistryHosts());
  for (const h of others) {
    const a = userRegistryAuth(h, env);
    if (a?.username && a.password) config.auths[h] = { auth: Buffer.from(`${a.username}:${a.password}`).toString('base64') };
    else if (a?.identitytoken) (config.auths as Record<string, unknown>)[h] = { identitytoken: a.identitytoken };
  }
  const dir = fs.mkdtempSync(path.join(registryStateDir(env), 'deploy-config-'));
  fs.chmodSync(dir, 0o700);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** docker service create with the pull credential for the spec's image in X-Registry-Auth (so
 *  the nodes can pull from an authenticated registry); without one, as before. */
export function createServiceWithAuth<T>(docker: { createService: (...a: any[]) => Promise<T> }, spec: any, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const image = spec?.TaskTemplate?.ContainerSpec?.Image;
  const auth = typeof image === 'string' ? pullAuthFor(image, env) : undefined;
  return auth ? docker.createService(auth, spec) : docker.createService(spec);
}

/** The registry's htpasswd (bcrypt) for the current password, made by htpasswd inside the
 *  registry image (password on stdin, never in argv); rewritten when missing or for another
 *  password. Returns the file and a short fingerprint of its content: the container carries it as
 *  a label, so a registry started with another file (or none: older versions) is recreated. */
export function ensureRegistryHtpasswd(registryImage: string, env: NodeJS.ProcessEnv = process.env): { file: string; fingerprint: string } {
  const { password } = ensureRegistryPassword(env);
  const file = registryHtpasswdFile(env);
  const check = path.join(registryStateDir(env), 'htpasswd.for');
  const want = crypto.createHash('sha256').update(password).digest('hex');
  let ok = false;
  try {
    ok = fs.readFileSync(check, 'utf8').trim() === want && fs.readFileSync(file, 'utf8').startsWith(`${REGISTRY_USER}:$2`);
  } catch {
    /* not made yet */
  }
  if (!ok) {
    const r = spawnSync('docker', ['run', '--rm', '-i', '--network', 'none', '--entrypoint', '/usr/bin/htpasswd', registryImage, '-niB', REGISTRY_USER], {
      input: password,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' },
    });
    const line = (r.stdout ?? '').trim();
    if (r.status !== 0 || !line.startsWith(`${REGISTRY_USER}:$2`)) {
      throw new EnvironmentError(`making the registry's htpasswd with ${registryImage} failed (exit ${r.status}): ${redactSecrets(String(r.stderr ?? r.error ?? '').trim().slice(-300), [password])}`);
    }
    writePrivateFile(file, `${line}\n`);
    writePrivateFile(check, `${want}\n`);
  }
  const fingerprint = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
  return { file, fingerprint };
}
