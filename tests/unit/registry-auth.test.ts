// Registry credentials (scripts/lib/registry-auth.ts): the embedded registry's password in the
// state dir, the suite's own DOCKER_CONFIG, a user's docker login for another registry, and the
// X-Registry-Auth a service is created with.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  authFromDockerConfig,
  createServiceWithAuth,
  deployDockerConfig,
  dockerConfigJson,
  ensureRegistryPassword,
  imageRegistryHost,
  localAuthConfig,
  localDockerConfig,
  pullAuthFor,
  readRegistryPassword,
  redactSecrets,
  registryPasswordFile,
  REGISTRY_USER,
} from '../../scripts/lib/registry-auth.ts';
import { defaults } from '../../scripts/lib/defaults.ts';
import { ensureImageOnce, nodeImageRef } from '../../scripts/lib/swarm/push-image.ts';

const roots: string[] = [];
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function tmpEnv(): NodeJS.ProcessEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-regauth-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, 'home', '.docker'), { recursive: true });
  return { GAMEDAY_STATE_DIR: path.join(root, 'state'), HOME: path.join(root, 'home') };
}

test('password: none before the registry is created; generated once, 0600 in a 0700 dir, then reused', () => {
  const env = tmpEnv();
  assert.equal(readRegistryPassword(env), undefined);
  assert.equal(localAuthConfig(env), undefined, 'no password: nothing is sent (a registry of an older version)');
  assert.equal(localDockerConfig(env), undefined);
  const a = ensureRegistryPassword(env);
  assert.equal(a.created, true);
  assert.ok(a.password.length >= 30, 'a long random password');
  const st = fs.statSync(registryPasswordFile(env));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(registryPasswordFile(env))).mode & 0o777, 0o700);
  const b = ensureRegistryPassword(env);
  assert.deepEqual(b, { password: a.password, created: false });
  assert.notEqual(ensureRegistryPassword(tmpEnv()).password, a.password, 'each state dir its own');
});

test('docker config: basic auth for the loopback push address and the nodes\' registry:5000, no credential store', () => {
  const cfg = dockerConfigJson('u', 'p:w', ['127.0.0.1:5000', 'registry:5000']);
  assert.deepEqual(cfg, { auths: { '127.0.0.1:5000': { auth: Buffer.from('u:p:w').toString('base64') }, 'registry:5000': { auth: Buffer.from('u:p:w').toString('base64') } } });
  const env = tmpEnv();
  const { password } = ensureRegistryPassword(env);
  const dir = localDockerConfig(env)!;
  assert.ok(dir.startsWith(env.GAMEDAY_STATE_DIR!), `the suite's own config under the state dir, got ${dir}`);
  const written = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(Object.keys(written.auths).sort(), [`127.0.0.1:${defaults.local.registryPort}`, 'registry:5000'].sort());
  assert.equal(Buffer.from(written.auths['registry:5000'].auth, 'base64').toString(), `${REGISTRY_USER}:${password}`);
  assert.equal(fs.statSync(path.join(dir, 'config.json')).mode & 0o777, 0o600);
  assert.equal(fs.readdirSync(path.join(env.HOME!, '.docker')).length, 0, "the user's ~/.docker is not written");
});

test('image registry host: Docker\'s rule', () => {
  assert.equal(imageRegistryHost('registry:5000/swarm-gameday/x:1@sha256:ab'), 'registry:5000');
  assert.equal(imageRegistryHost('reg.example.com/a/b:1'), 'reg.example.com');
  assert.equal(imageRegistryHost('localhost/a'), 'localhost');
  assert.equal(imageRegistryHost('library/debian:12'), 'docker.io');
  assert.equal(imageRegistryHost('debian'), 'docker.io');
});

test("a user's docker login: auths entry, identity token, credential helper (per host and store)", () => {
  const b64 = Buffer.from('alice:s3cr:et').toString('base64');
  assert.deepEqual(authFromDockerConfig({ auths: { 'reg.example.com:5000': { auth: b64 } } }, 'reg.example.com:5000'), {
    username: 'alice',
    password: 's3cr:et',
    serveraddress: 'reg.example.com:5000',
  });
  assert.deepEqual(authFromDockerConfig({ auths: { 'https://reg.example.com': { identitytoken: 'tok' } } }, 'reg.example.com'), { identitytoken: 'tok', serveraddress: 'reg.example.com' });
  const asked: string[] = [];
  const helper = (h: string, host: string) => (asked.push(`${h}:${host}`), host === 'a.example.com' ? { Username: 'bob', Secret: 'pw' } : undefined);
  assert.deepEqual(authFromDockerConfig({ credHelpers: { 'a.example.com': 'ecr' }, credsStore: 'pass' }, 'a.example.com', helper), { username: 'bob', password: 'pw', serveraddress: 'a.example.com' });
  assert.equal(authFromDockerConfig({ credsStore: 'pass' }, 'b.example.com', helper), undefined, 'not stored: anonymous');
  assert.deepEqual(asked, ['ecr:a.example.com', 'pass:b.example.com']);
  assert.deepEqual(authFromDockerConfig({ credsStore: 'x' }, 'c', () => ({ Username: '<token>', Secret: 'idt' })), { identitytoken: 'idt', serveraddress: 'c' });
  assert.equal(authFromDockerConfig({}, 'x'), undefined);
  assert.equal(authFromDockerConfig(null, 'x'), undefined);
});

test('pull auth: registry:5000 images with the embedded password, others with the user\'s docker config', () => {
  const env = tmpEnv();
  assert.equal(pullAuthFor('registry:5000/swarm-gameday/a:1', env), undefined);
  const { password } = ensureRegistryPassword(env);
  assert.deepEqual(pullAuthFor('registry:5000/swarm-gameday/a:1@sha256:00', env), { username: REGISTRY_USER, password, serveraddress: 'registry:5000' });
  fs.writeFileSync(path.join(env.HOME!, '.docker', 'config.json'), JSON.stringify({ auths: { 'reg.example.com': { auth: Buffer.from('u:p').toString('base64') } } }));
  assert.deepEqual(pullAuthFor('reg.example.com/x:1', env), { username: 'u', password: 'p', serveraddress: 'reg.example.com' });
  assert.equal(pullAuthFor('other.example.com/x:1', env), undefined);
  fs.writeFileSync(path.join(env.HOME!, '.docker', 'config.json'), '{not json');
  assert.throws(() => pullAuthFor('reg.example.com/x:1', env), /config\.json is not JSON.*docker login reg\.example\.com/);
});

test('createServiceWithAuth: X-Registry-Auth argument for the spec\'s image; none without a credential', async () => {
  const env = tmpEnv();
  const calls: any[][] = [];
  const fake = { createService: async (...a: any[]) => void calls.push(a) };
  const spec = { Name: 's', TaskTemplate: { ContainerSpec: { Image: 'registry:5000/swarm-gameday/a:1' } } };
  await createServiceWithAuth(fake, spec, env);
  assert.deepEqual(calls[0], [spec], 'no password yet: one argument, as before');
  const { password } = ensureRegistryPassword(env);
  await createServiceWithAuth(fake, spec, env);
  assert.deepEqual(calls[1], [{ username: REGISTRY_USER, password, serveraddress: 'registry:5000' }, spec]);
  assert.equal(JSON.stringify(spec).includes(password), false, 'the spec itself carries no password');
});

test('deploy config: the suite\'s own when every image is on registry:5000, else a temporary merged one', () => {
  const env = tmpEnv();
  assert.equal(deployDockerConfig(['registry:5000/a:1'], env).dir, undefined, 'no password: the user\'s config as before');
  ensureRegistryPassword(env);
  const own = deployDockerConfig(['registry:5000/a:1', 'registry:5000/b:2'], env);
  assert.equal(own.dir, localDockerConfig(env));
  fs.writeFileSync(path.join(env.HOME!, '.docker', 'config.json'), JSON.stringify({ auths: { 'reg.example.com': { auth: Buffer.from('u:p').toString('base64') } } }));
  const merged = deployDockerConfig(['registry:5000/a:1', 'reg.example.com/b:2'], env);
  assert.notEqual(merged.dir, own.dir);
  const cfg = JSON.parse(fs.readFileSync(path.join(merged.dir!, 'config.json'), 'utf8'));
  assert.deepEqual(Object.keys(cfg.auths).sort(), [`127.0.0.1:${defaults.local.registryPort}`, 'reg.example.com', 'registry:5000'].sort());
  assert.equal(fs.statSync(merged.dir!).mode & 0o777, 0o700);
  merged.cleanup();
  assert.equal(fs.existsSync(merged.dir!), false, 'removed after the deploy');
});

test('redaction: the password and its basic-auth form never reach a message', () => {
  const pw = 'Zx9-secret';
  const b64 = Buffer.from(`${REGISTRY_USER}:${pw}`).toString('base64');
  assert.equal(redactSecrets(`denied for ${pw} (Authorization: Basic ${b64})`, [pw, undefined]), 'denied for *** (Authorization: Basic ***)');
  assert.equal(redactSecrets('nothing', [undefined]), 'nothing');
});

test('push helper: node-side references; ensure<Name>Image builds once per registry, a failure is retried, a ready image is used as is', async () => {
  assert.equal(nodeImageRef('swarm-gameday/x', 'abc'), 'registry:5000/swarm-gameday/x:abc');
  assert.equal(nodeImageRef('swarm-gameday/x', 'abc', 'reg.example.com:5000'), 'reg.example.com:5000/swarm-gameday/x:abc');
  const built: string[] = [];
  let fail = true;
  const ensure = ensureImageOnce(async (o: { registry?: string; image?: string }) => {
    built.push(o.registry ?? 'local');
    if (o.registry === 'flaky' && fail) {
      fail = false;
      throw new Error('push failed');
    }
    return `ref-${o.registry ?? 'local'}`;
  });
  assert.deepEqual(await Promise.all([ensure(), ensure({}), ensure({ registry: 'r' })]), ['ref-local', 'ref-local', 'ref-r']);
  assert.equal(await ensure({ image: 'ready:1' }), 'ready:1');
  await assert.rejects(ensure({ registry: 'flaky' }), /push failed/);
  assert.equal(await ensure({ registry: 'flaky' }), 'ref-flaky');
  assert.deepEqual(built, ['local', 'r', 'flaky', 'flaky']);
});
