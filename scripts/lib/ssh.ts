// ssh:// Docker hosts (docker-modem runs `docker system dial-stdio` over ssh2 on the remote) and
// the sshd of the embedded local swarm's manager.
//
// Authentication, in ssh's own order: the agent at SSH_AUTH_SOCK, else the key file in
// GAMEDAY_SSH_KEY, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa (unencrypted keys only: the suite
// never asks for a passphrase; use the agent for those). The host key is checked against
// GAMEDAY_SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts (plain or hashed entries, `[host]:port` for
// ports other than 22); an unknown or different key refuses the connection, as ssh's
// StrictHostKeyChecking does non-interactively.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import util from 'node:util';
import type { Duplex } from 'node:stream';
import { Client } from 'ssh2';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, EnvironmentError } from './errors.ts';
import { LOCAL_SWARM } from './local-swarm-names.ts';
import { localSwarmStateDir, writePrivateFile } from './state-dir.ts';

export interface SshAuth {
  agent?: string;
  privateKey?: Buffer;
  /** where the key came from, for messages */
  keySource?: string;
  knownHosts: string;
}

export function sshAuthFromEnv(env: NodeJS.ProcessEnv = process.env): SshAuth {
  const knownHosts = env.GAMEDAY_SSH_KNOWN_HOSTS ? path.resolve(env.GAMEDAY_SSH_KNOWN_HOSTS) : path.join(os.homedir(), '.ssh', 'known_hosts');
  if (env.GAMEDAY_SSH_KNOWN_HOSTS && !fs.existsSync(knownHosts)) {
    throw new ConfigError(`GAMEDAY_SSH_KNOWN_HOSTS: expected a known_hosts file, got ${JSON.stringify(env.GAMEDAY_SSH_KNOWN_HOSTS)}, which does not exist`);
  }
  if (env.GAMEDAY_SSH_KEY) {
    const f = path.resolve(env.GAMEDAY_SSH_KEY);
    let key: Buffer;
    try {
      key = fs.readFileSync(f);
    } catch {
      throw new ConfigError(`GAMEDAY_SSH_KEY: expected a private key file, got ${JSON.stringify(env.GAMEDAY_SSH_KEY)}, which cannot be read`);
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('utf8'))) {
      throw new ConfigError(`GAMEDAY_SSH_KEY: expected a private key file (PEM or OpenSSH format), got ${JSON.stringify(env.GAMEDAY_SSH_KEY)}`);
    }
    return { privateKey: key, keySource: 'GAMEDAY_SSH_KEY', knownHosts, ...(env.SSH_AUTH_SOCK ? { agent: env.SSH_AUTH_SOCK } : {}) };
  }
  if (env.SSH_AUTH_SOCK) return { agent: env.SSH_AUTH_SOCK, knownHosts };
  for (const n of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const f = path.join(os.homedir(), '.ssh', n);
    if (fs.existsSync(f)) return { privateKey: fs.readFileSync(f), keySource: f, knownHosts };
  }
  return { knownHosts };
}

/** `host` as known_hosts names it: plain for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Host keys (base64 of the key blob) known for host:port in a known_hosts text. */
export function knownKeysFor(text: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const keys: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields[0]!.startsWith('@')) continue; // @revoked / @cert-authority: not handled, never trusted
    const [hosts, , key] = fields;
    if (!hosts || !key) continue;
    const match = hosts.split(',').some((h) => {
      const hashed = /^\|1\|([^|]+)\|(.+)$/.exec(h);
      if (hashed) return crypto.createHmac('sha1', Buffer.from(hashed[1]!, 'base64')).update(name).digest('base64') === hashed[2];
      return h === name;
    });
    if (match) keys.push(key);
  }
  return keys;
}

/**
 * ssh2's hostVerifier for host:port: the offered key must be listed. Refusals are recorded in
 * `refusals` (ssh2 only says "Host denied"), so the error can say what to do.
 */
export function hostVerifier(auth: SshAuth, host: string, port: number, refusals: string[]): (key: Buffer) => boolean {
  return (key: Buffer) => {
    let text = '';
    try {
      text = fs.readFileSync(auth.knownHosts, 'utf8');
    } catch {
      /* no file: nothing is known */
    }
    const known = knownKeysFor(text, host, port);
    if (known.includes(key.toString('base64'))) return true;
    refusals.push(
      known.length
        ? `the host key of ${knownHostsName(host, port)} differs from the one in ${auth.knownHosts}`
        : `the host key of ${knownHostsName(host, port)} is not in ${auth.knownHosts} (add it after checking it: ssh-keyscan -p ${port} ${host}; or set GAMEDAY_SSH_KNOWN_HOSTS)`,
    );
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// The embedded default's sshd: a host key and a client key made with ssh-keygen into the state dir.
//   <state dir>/local-swarm/ssh/id_ed25519       the client key (GAMEDAY_SSH_KEY)
//   <state dir>/local-swarm/ssh/known_hosts      the manager's host key at 127.0.0.1/localhost
//   <state dir>/local-swarm/ssh/host/            host key + authorized_keys, mounted read-only

export const LOCAL_SSH_USER = 'root';

export function localSshDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSwarmStateDir(env), 'ssh');
}
export function localSshHostDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSshDir(env), 'host');
}
export function localSshKey(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSshDir(env), 'id_ed25519');
}
export function localKnownHosts(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSshDir(env), 'known_hosts');
}
export function localSshDockerHost(): string {
  return `ssh://${LOCAL_SSH_USER}@127.0.0.1:${LOCAL_SWARM.managerSshPort}`;
}

function keygen(file: string, comment: string): void {
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new EnvironmentError('ssh-keygen is not on PATH: run `npm run setup` (installs Debian\'s openssh-client) or install it');
    throw new EnvironmentError(`ssh-keygen failed: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`);
  }
}

/** Makes the keys unless they exist (idempotent); the files the manager mounts are rewritten each time. */
export function ensureLocalSwarmSshKeys(env: NodeJS.ProcessEnv = process.env): string {
  const dir = localSshDir(env);
  const hostDir = localSshHostDir(env);
  for (const d of [localSwarmStateDir(env), dir, hostDir]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.chmodSync(d, 0o700);
  }
  const made: string[] = [];
  const hostKey = path.join(hostDir, 'ssh_host_ed25519_key');
  if (!fs.existsSync(hostKey) || !fs.existsSync(`${hostKey}.pub`)) {
    fs.rmSync(hostKey, { force: true });
    fs.rmSync(`${hostKey}.pub`, { force: true });
    keygen(hostKey, `${LOCAL_SWARM.manager} host key`);
    made.push('host key');
  }
  const key = localSshKey(env);
  if (!fs.existsSync(key) || !fs.existsSync(`${key}.pub`)) {
    fs.rmSync(key, { force: true });
    fs.rmSync(`${key}.pub`, { force: true });
    keygen(key, 'swarm-gameday client');
    made.push('client key');
  }
  writePrivateFile(path.join(hostDir, 'authorized_keys'), fs.readFileSync(`${key}.pub`, 'utf8'));
  const [type, blob] = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const p = LOCAL_SWARM.managerSshPort;
  writePrivateFile(localKnownHosts(env), `${knownHostsName('127.0.0.1', p)},${knownHostsName('localhost', p)} ${type} ${blob}\n`);
  return made.length ? `made the ssh ${made.join(' and ')} in ${dir}` : `ssh keys in ${dir}`;
}

// ---------------------------------------------------------------------------------------------
// The transport: an http.Agent whose connections are `docker system dial-stdio` channels on ONE
// ssh connection (docker-modem's own ssh mode opens a connection per request and crashes on its
// timeout: an ssh2 channel has no setTimeout). The connection closes after a short idle time, so
// a finished command exits.

export interface SshTarget {
  host: string;
  port: number;
  username: string;
}

const IDLE_CLOSE_MS = 2000;

/** Gives an ssh2 channel what node's http client expects of a socket. */
function asSocket(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  let timer: NodeJS.Timeout | undefined;
  let ms = 0;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = ms > 0 ? setTimeout(() => stream.emit('timeout'), ms) : undefined;
    timer?.unref();
  };
  s.setTimeout = (msecs: number, cb?: () => void) => {
    ms = msecs;
    if (cb) stream.once('timeout', cb);
    arm();
    return stream;
  };
  stream.on('data', () => ms > 0 && arm());
  stream.once('close', () => timer && clearTimeout(timer));
  for (const f of ['setNoDelay', 'setKeepAlive', 'ref', 'unref']) s[f] ??= () => stream;
  return stream;
}

/** Channels per ssh connection: below OpenSSH's default MaxSessions (10), so a stock sshd takes
 *  them all; more concurrent requests (probe, watchers, followed logs) get another connection. */
export const CHANNELS_PER_CONNECTION = 8;

export function sshAgent(target: SshTarget, auth: SshAuth, opts: { readyTimeoutMs: number; refusals: string[] }): http.Agent {
  // no keep-alive: a channel is one `docker system dial-stdio`, closed with its response (a kept one
  // held the process open after a run in one trial; not worth the process it would spare)
  const agent = new http.Agent({ keepAlive: false });
  interface Conn {
    c: Client;
    ready: Promise<Client>;
    /** channels open or being opened */
    used: number;
    gone: boolean;
    idle?: NodeJS.Timeout;
  }
  // docker-modem formats every request's options with util.inspect (showHidden, unbounded depth)
  // whether or not its debug log is on; the agent is in them, and walking its ssh2 connections and
  // channels took most of a core: the probe in the same process then timed out as if the app were down
  (agent as unknown as Record<symbol, unknown>)[util.inspect.custom] = () => `[ssh agent ${target.username}@${target.host}:${target.port}]`;
  const pool: Conn[] = [];
  // only that connection's end forgets it (a late 'close' of an old one must not touch the others)
  const drop = (k: Conn) => {
    k.gone = true;
    const i = pool.indexOf(k);
    if (i >= 0) pool.splice(i, 1);
  };
  const connect = (): Conn => {
    const c = new Client();
    const k = { c, used: 0, gone: false } as Conn;
    k.ready = new Promise<Client>((resolve, reject) => {
      c.once('ready', () => resolve(c));
      c.once('error', (err: Error) => {
        drop(k);
        reject(err);
      });
      c.once('end', () => drop(k));
      c.once('close', () => drop(k));
      c.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        ...(auth.agent ? { agent: auth.agent } : {}),
        ...(auth.privateKey ? { privateKey: auth.privateKey } : {}),
        hostVerifier: hostVerifier(auth, target.host, target.port, opts.refusals),
        readyTimeout: opts.readyTimeoutMs,
        keepaliveInterval: 10_000,
      });
    });
    pool.push(k);
    return k;
  };
  const release = (k: Conn) => {
    if (--k.used > 0) return;
    k.idle = setTimeout(() => {
      if (k.used !== 0 || k.gone) return;
      drop(k); // forget it first: a request arriving now opens a new connection
      k.c.end();
    }, IDLE_CLOSE_MS);
    k.idle.unref();
  };
  const channel = (k: Conn): Promise<Duplex> =>
    k.ready.then(
      (c) =>
        new Promise<Duplex>((resolve, reject) => {
          try {
            c.exec('docker system dial-stdio', (err, stream) => {
              if (err) {
                release(k);
                return reject(err);
              }
              // the slot is free once either side is done with the channel: the remote's close
              // can come late or never (a `docker system dial-stdio` whose dockerd stream went
              // quiet), and a slot held for it kept the connection, and the process, alive
              let released = false;
              const done = () => {
                if (released) return;
                released = true;
                release(k);
              };
              stream.once('close', done);
              // our side ended: after a response node's http client ends the socket it still owns;
              // a hijacked (upgraded) socket it gave away may be ended for stdin's EOF and still read
              stream.once('finish', () => (stream as unknown as { _httpMessage?: unknown })._httpMessage && done());
              const destroy = stream.destroy.bind(stream);
              stream.destroy = () => {
                done();
                return destroy();
              };
              resolve(asSocket(stream));
            });
          } catch (err) {
            // exec throws "Not connected" on a connection that just ended
            drop(k);
            release(k);
            reject(err);
          }
        }),
      (err) => {
        release(k);
        throw err;
      },
    );
  const take = (): Conn => {
    const k = pool.find((x) => !x.gone && x.used < CHANNELS_PER_CONNECTION) ?? connect();
    if (k.idle) clearTimeout(k.idle);
    k.used++;
    return k;
  };
  (agent as unknown as { createConnection: unknown }).createConnection = (_o: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
    const once = () => channel(take());
    once()
      // a connection that ended between two requests: one fresh connection, then give up
      .catch((err: Error) => (/Not connected/i.test(String(err?.message)) ? once() : Promise.reject(err)))
      .then((stream) => cb(null, stream), (err: Error) => cb(err));
    return undefined;
  };
  return agent;
}
