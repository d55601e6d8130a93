// Docker API transport options, no Docker: TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH as the
// docker CLI reads them, the embedded default's own certificates, the CLI env for child
// processes, bad values as ConfigErrors naming the variable; ssh known_hosts matching; a real TLS
// handshake with the certificates ensureLocalSwarmCerts makes (a local https server, not Docker).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dockerCliEnv, dockerOptions, swarmDocker } from '../../scripts/lib/docker.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { LOCAL_MANAGER_DOCKER_HOST } from '../../scripts/lib/local-swarm-names.ts';
import { hostVerifier, knownHostsName, knownKeysFor, sshAuthFromEnv } from '../../scripts/lib/ssh.ts';
import { PLAIN_MANAGER_ALLOWED, ensureLocalSwarmCerts, localClientCertDir, localServerCertDir, readManagerApiMode, writeManagerApiMode } from '../../scripts/lib/tls.ts';
import { remoteSwarmEnv } from '../helpers/remote-swarm.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-tls-'));
}

function certDir(): string {
  const d = tmp();
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(d, f), `${f} content`);
  return d;
}

function rejectsWith(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, re);
    return true;
  });
}

test('tcp:// with DOCKER_TLS_VERIFY: https with ca/cert/key from DOCKER_CERT_PATH; without it plain http', () => {
  const dir = certDir();
  const o = dockerOptions('tcp://mgr.example:2376', 'DOCKER_HOST', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }) as Record<string, unknown>;
  assert.equal(o.protocol, 'https');
  assert.equal(o.host, 'mgr.example');
  assert.equal(o.port, 2376);
  assert.equal(String(o.ca), 'ca.pem content');
  assert.equal(String(o.cert), 'cert.pem content');
  assert.equal(String(o.key), 'key.pem content');
  // the CLI's rule: any non-empty value turns TLS on (even "0"); empty is off
  assert.equal((dockerOptions('tcp://h:1', 'x', { DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: dir }) as any).protocol, 'https');
  assert.equal((dockerOptions('tcp://h:1', 'x', { DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: dir }) as any).protocol, 'http');
  // DOCKER_CERT_PATH alone does not turn TLS on (the CLI needs --tlsverify / DOCKER_TLS_VERIFY)
  assert.equal((dockerOptions('tcp://h:1', 'x', { DOCKER_CERT_PATH: dir }) as any).protocol, 'http');
  // no DOCKER_CERT_PATH: $DOCKER_CONFIG, as the CLI's default (~/.docker)
  assert.equal((dockerOptions('tcp://h:1', 'x', { DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: dir }) as any).protocol, 'https');
  // unix:// ignores the TLS variables
  assert.deepEqual(Object.keys(dockerOptions('unix:///run/d.sock', 'x', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nope' })).sort(), ['host', 'socketPath', 'timeout']);
});

test('bad TLS values: ConfigError exit 2 naming the variable, expected and got, before any connection', () => {
  rejectsWith(() => dockerOptions('tcp://h:2376', 'DOCKER_HOST', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/no/such/dir' }),
    /^DOCKER_CERT_PATH: expected a folder with ca\.pem, cert\.pem, key\.pem \(DOCKER_TLS_VERIFY is set\), got "\/no\/such\/dir", which does not exist$/);
  const partial = certDir();
  fs.rmSync(path.join(partial, 'key.pem'));
  rejectsWith(() => dockerOptions('tcp://h:2376', 'DOCKER_HOST', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: partial }), new RegExp(`^DOCKER_CERT_PATH: expected .*got "${partial}" without key\\.pem$`));
  const file = path.join(partial, 'ca.pem');
  rejectsWith(() => dockerOptions('tcp://h:2376', 'DOCKER_HOST', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: file }), /which is not a folder$/);
  const emptyConfig = tmp();
  rejectsWith(() => dockerOptions('tcp://h:2376', 'DOCKER_HOST', { DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: emptyConfig }),
    new RegExp(`^DOCKER_TLS_VERIFY: expected ca\\.pem, cert\\.pem, key\\.pem in DOCKER_CERT_PATH \\(unset: ${emptyConfig}\\), got .* without ca\\.pem, cert\\.pem, key\\.pem$`));
  // the docker CLI child gets the same check
  rejectsWith(() => dockerCliEnv('tcp://h:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/no/such/dir' }), /^DOCKER_CERT_PATH: /);
  // and a swarm handle built while the process env is bad fails the same way (not a bare ENOENT)
  const saved = { ...process.env };
  Object.assign(process.env, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/no/such/dir' });
  try {
    rejectsWith(() => swarmDocker(), /^DOCKER_CERT_PATH: /);
  } finally {
    process.env = saved;
  }
});

test('the embedded default uses its own client certificate, unless its manager predates TLS; env TLS wins', async () => {
  const state = tmp();
  const env = { GAMEDAY_STATE_DIR: state };
  fs.mkdirSync(localClientCertDir(env), { recursive: true });
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(localClientCertDir(env), f), `local ${f}`);
  writeManagerApiMode('tls', env);
  assert.equal(readManagerApiMode(env), 'tls');
  const o = dockerOptions(LOCAL_MANAGER_DOCKER_HOST, 'DOCKER_HOST', env) as Record<string, unknown>;
  assert.equal(o.protocol, 'https');
  assert.equal(String(o.cert), 'local cert.pem');
  assert.deepEqual(dockerCliEnv(LOCAL_MANAGER_DOCKER_HOST, env), { DOCKER_HOST: LOCAL_MANAGER_DOCKER_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: localClientCertDir(env) });
  // the same manager under another name is "remote": only the env's TLS applies
  assert.equal((dockerOptions('tcp://localhost:12375', 'x', env) as any).protocol, 'http');
  // the user's DOCKER_TLS_VERIFY/DOCKER_CERT_PATH beat the embedded default's files (as with docker -H)
  const mine = certDir();
  assert.equal(String((dockerOptions(LOCAL_MANAGER_DOCKER_HOST, 'x', { ...env, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: mine }) as any).cert), 'cert.pem content');
  // a manager created before TLS (ensureNodes wrote 'tcp'): plain while PLAIN_MANAGER_ALLOWED (the
  // CLI env then clears the TLS vars); once TLS is final, TLS regardless (and ensureNodes refuses it)
  writeManagerApiMode('tcp', env);
  if (PLAIN_MANAGER_ALLOWED) {
    assert.equal((dockerOptions(LOCAL_MANAGER_DOCKER_HOST, 'x', env) as any).protocol, 'http');
    assert.deepEqual(dockerCliEnv(LOCAL_MANAGER_DOCKER_HOST, env), { DOCKER_HOST: LOCAL_MANAGER_DOCKER_HOST, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined });
  } else {
    assert.equal((dockerOptions(LOCAL_MANAGER_DOCKER_HOST, 'x', env) as any).protocol, 'https');
  }
  // no certificates made yet (no stack:up here): the handle builds, its calls fail naming stack:up
  const bare = { GAMEDAY_STATE_DIR: tmp() };
  if (!PLAIN_MANAGER_ALLOWED) {
    await assert.rejects(swarmDocker(LOCAL_MANAGER_DOCKER_HOST, bare).info(), /client certificate is not in .*npm run stack:up makes it/);
  }
  writeManagerApiMode('tls', bare);
  fs.rmSync(localClientCertDir(bare), { recursive: true, force: true });
  await assert.rejects(swarmDocker(LOCAL_MANAGER_DOCKER_HOST, bare).info(), /client certificate is not in .*npm run stack:up makes it/);
  // the helper a remote test uses follows the manager's mode
  assert.deepEqual(remoteSwarmEnv(env), { DOCKER_HOST: 'tcp://localhost:12375' });
  writeManagerApiMode('tls', env);
  assert.deepEqual(remoteSwarmEnv(env), { DOCKER_HOST: 'tcp://localhost:12375', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: localClientCertDir(env) });
  writeManagerApiMode(undefined, env);
  assert.equal(readManagerApiMode(env), undefined);
});

test('ensureLocalSwarmCerts: private dirs, a server cert for 127.0.0.1/localhost/the manager that a client cert of the same CA can talk TLS to; a client without it is refused', async () => {
  const env = { GAMEDAY_STATE_DIR: tmp() };
  assert.match(ensureLocalSwarmCerts(env), /^made a CA/);
  assert.match(ensureLocalSwarmCerts(env), /^TLS certificates in/); // idempotent: kept
  const srv = localServerCertDir(env);
  const cli = localClientCertDir(env);
  for (const d of [srv, cli, path.dirname(srv)]) assert.equal(fs.statSync(d).mode & 0o777, 0o700, d);
  assert.equal(fs.statSync(path.join(cli, 'key.pem')).mode & 0o777, 0o600);
  const cert = new crypto.X509Certificate(fs.readFileSync(path.join(srv, 'cert.pem')));
  assert.match(cert.subjectAltName ?? '', /DNS:localhost.*DNS:gameday-manager.*IP Address:127\.0\.0\.1/);
  const rd = (d: string, f: string) => fs.readFileSync(path.join(d, f));
  const server = https.createServer({ ca: rd(srv, 'ca.pem'), cert: rd(srv, 'cert.pem'), key: rd(srv, 'key.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    res.end(JSON.stringify({ client: (req.socket as unknown as { getPeerCertificate(): { subject: { CN: string } } }).getPeerCertificate().subject.CN }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const docker = swarmDocker(`tcp://localhost:${port}`, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: cli });
    const got = await (docker.modem as any).dial.bind(docker.modem);
    const body: any = await new Promise((resolve, reject) => got({ path: '/_ping', method: 'GET', statusCodes: { 200: true } }, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data))));
    assert.equal(typeof body === 'string' ? JSON.parse(body).client : body.client, 'swarm-gameday client');
    // no client certificate: the handshake is refused
    await assert.rejects(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/', ca: rd(cli, 'ca.pem') }, resolve).on('error', reject)),
      /certificate|socket hang up|ECONNRESET/i,
    );
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('ssh: known_hosts entries match plain, [host]:port and hashed names; an unknown or changed key is refused with what to do', () => {
  const key = crypto.randomBytes(51);
  const b64 = key.toString('base64');
  const salt = crypto.randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update('[mgr]:2222').digest('base64')}`;
  const text = `# comment\nother,10.0.0.5 ssh-ed25519 ${b64}\n${hashed} ssh-ed25519 ${b64}\n@revoked mgr ssh-ed25519 ${b64}\n`;
  assert.equal(knownHostsName('h', 22), 'h');
  assert.equal(knownHostsName('h', 2222), '[h]:2222');
  assert.deepEqual(knownKeysFor(text, '10.0.0.5', 22), [b64]);
  assert.deepEqual(knownKeysFor(text, 'mgr', 2222), [b64]);
  assert.deepEqual(knownKeysFor(text, 'mgr', 22), []); // @revoked is never trust
  const kh = path.join(tmp(), 'known_hosts');
  fs.writeFileSync(kh, text);
  const refusals: string[] = [];
  const auth = sshAuthFromEnv({ GAMEDAY_SSH_KNOWN_HOSTS: kh, SSH_AUTH_SOCK: '/run/agent.sock' });
  assert.equal(auth.agent, '/run/agent.sock');
  assert.equal(hostVerifier(auth, 'mgr', 2222, refusals)(key), true);
  assert.equal(hostVerifier(auth, 'mgr', 2222, refusals)(crypto.randomBytes(51)), false);
  assert.match(refusals.at(-1)!, /host key of \[mgr\]:2222 differs from the one in/);
  assert.equal(hostVerifier(auth, 'new', 22, refusals)(key), false);
  assert.match(refusals.at(-1)!, /host key of new is not in .*ssh-keyscan -p 22 new/);
  // bad variables name themselves
  rejectsWith(() => sshAuthFromEnv({ GAMEDAY_SSH_KNOWN_HOSTS: '/no/kh' }), /^GAMEDAY_SSH_KNOWN_HOSTS: expected a known_hosts file, got "\/no\/kh", which does not exist$/);
  rejectsWith(() => sshAuthFromEnv({ GAMEDAY_SSH_KEY: '/no/key' }), /^GAMEDAY_SSH_KEY: expected a private key file, got "\/no\/key", which cannot be read$/);
  rejectsWith(() => sshAuthFromEnv({ GAMEDAY_SSH_KEY: kh }), /^GAMEDAY_SSH_KEY: expected a private key file \(PEM or OpenSSH format\), got /);
  rejectsWith(() => dockerOptions('ssh://ops@mgr', 'DOCKER_HOST', { GAMEDAY_SSH_KEY: '/no/key' }), /^GAMEDAY_SSH_KEY: /);
});

test('an existing manager without the TLS label is named with its migration; fatal once TLS is final', async () => {
  const { managerApiVerdict } = await import('../../scripts/lib/swarm/nodes.ts');
  assert.deepEqual(managerApiVerdict('tls', false), { mode: 'tls', fatal: false });
  const old = managerApiVerdict('', true);
  assert.equal(old.mode, 'tcp');
  assert.equal(old.fatal, false);
  assert.match(old.message!, /gameday-manager was created before its Docker API had TLS: .*Migrate: npm run stack:down && npm run stack:up \(still used over plain TCP for now\)$/);
  const final = managerApiVerdict('', false);
  assert.equal(final.fatal, true);
  assert.match(final.message!, /Migrate: npm run stack:down && npm run stack:up$/);
});
