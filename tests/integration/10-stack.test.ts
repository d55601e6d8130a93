// The embedded default: from whatever state (no swarm, or a running one) stack:up converges, and
// the TODO app works end to end through the HAProxy ingress on loopback.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { defaults } from '../../scripts/lib/defaults.ts';
import { readStatsPassword } from '../../scripts/lib/stats-password.ts';
import { localTarget } from '../../scripts/lib/local-swarm.ts';
import { replicaStates } from '../../scripts/lib/swarm/deploy.ts';
import { serviceStates } from '../../scripts/lib/swarm/state.ts';
import { eventually, http, repoRoot, runCommand, runTsx } from '../helpers/run.ts';
import { createServiceWithAuth, localRegistryEnv, readRegistryPassword, REGISTRY_USER } from '../../scripts/lib/registry-auth.ts';
import { LOCAL_SWARM } from '../../scripts/lib/local-swarm-names.ts';
import { hostEnv } from '../../scripts/lib/host-env.ts';

const t = localTarget();
const api = `${t.ingressUrl}/api`;
const timings: Record<string, number> = {};

function recordTiming(name: string, ms: number): void {
  timings[name] = ms;
  const dir = path.join(repoRoot, 'test-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'stack-timings.json'), JSON.stringify(timings, null, 2));
}

describe('stack:up on the embedded default', () => {
  before(async () => {
    const r = await runTsx('scripts/stack.ts', ['up'], { timeoutMs: 30 * 60_000 });
    recordTiming('stackUpFirstMs', r.ms);
    assert.equal(r.code, 0, `stack:up failed:\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, /127\.0\.0\.1:18080/, 'stack:up prints the ingress URL');
  });

  it('has 4 nodes Ready, one of them the manager marked as allowed for chaos', async () => {
    const nodes = await swarmDocker(t.dockerHost).listNodes();
    assert.equal(nodes.length, 4);
    assert.ok(nodes.every((n) => n.Status?.State === 'ready'), JSON.stringify(nodes.map((n) => n.Status)));
    const manager = nodes.find((n) => n.Spec?.Role === 'manager');
    assert.equal(manager?.Spec?.Labels?.['gameday.chaos'], 'allowed');
  });

  it('runs every service at its desired replicas, as in the seeds', async () => {
    const states = await serviceStates(swarmDocker(t.dockerHost));
    const byName = Object.fromEntries(states.map((s) => [s.name, s]));
    const expected: Record<string, number> = {
      todo_mysql_master: 1,
      todo_mysql_slave: 2,
      todo_app_api: 2,
      todo_app_nginx: 2,
      todo_frontend_web: 2,
      todo_frontend_nginx: 2,
      todo_ingress_haproxy: 1,
    };
    for (const [name, want] of Object.entries(expected)) {
      assert.ok(byName[name], `service ${name} missing`);
      assert.equal(byName[name].desired, want, `${name} desired`);
      assert.equal(byName[name].running, want, `${name} running`);
    }
  });

  it('creates an item, lists it from a replica, moves it through the statuses, shows it on the web page', async () => {
    const title = `it-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const created = await http(`${api}/todo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, content: 'from the stack test' }) });
    assert.equal(created.status, 201, created.body);
    const id = created.json.id;
    assert.ok(Number.isInteger(id) && id > 0, `id: ${created.body}`);
    assert.equal(created.json.status, 'TODO');

    // the list reads from a replica: allow for replication lag, bounded
    await eventually(async () => (await http(`${api}/todo?status=TODO`)).json?.some((i: any) => i.id === id), 10_000, 'the item on the TODO list');
    const page = await eventually(async () => {
      const r = await http(`${t.ingressUrl}/`);
      return r.status === 200 && r.body.includes(title) ? r : undefined;
    }, 10_000, 'the item on the web dashboard');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);

    for (const status of ['PROGRESS', 'DONE'] as const) {
      const moved = await http(`${api}/todo`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, title, content: 'moved', status }) });
      assert.equal(moved.status, 200, moved.body);
      assert.equal(moved.json.status, status);
      await eventually(async () => (await http(`${api}/todo?status=${status}`)).json?.some((i: any) => i.id === id), 10_000, `the item listed as ${status}`);
    }
    const todoList = await http(`${api}/todo?status=TODO`);
    assert.ok(!todoList.json.some((i: any) => i.id === id), 'a DONE item is no longer listed as TODO');
  });

  it('answers a repeated create with the same Idempotency-Key with the first item (API and web form)', async () => {
    const title = `idem-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const key = `it-${title}`;
    const create = (body: object, k: string) =>
      http(`${api}/todo`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': k }, body: JSON.stringify(body) });
    const first = await create({ title, content: 'once' }, key);
    assert.equal(first.status, 201, first.body);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await create({ title, content: 'once' }, key);
    assert.equal(again.status, 201, again.body);
    assert.equal(again.json.id, first.json.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const other = await create({ title: `${title}-other`, content: 'once' }, key);
    assert.equal(other.status, 422, other.body);
    assert.match(other.json.message, /^Idempotency-Key: /);
    const bad = await create({ title, content: 'once' }, 'not a token');
    assert.equal(bad.status, 400, bad.body);
    assert.match(bad.json.message, /^Idempotency-Key: expected/);

    // the web form passes the browser's key on: a re-sent form makes one item
    const webTitle = `${title}-web`;
    const form = () =>
      http(`${t.ingressUrl}/items`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': `${key}-web` },
        body: new URLSearchParams({ title: webTitle, content: 'form' }).toString(),
      });
    assert.equal((await form()).status, 303);
    assert.equal((await form()).status, 303);
    const listed = await eventually(async () => {
      const items = ((await http(`${api}/todo?status=TODO&limit=1000`)).json ?? []) as Array<{ id: number; title: string }>;
      return items.some((i) => i.title === title) && items.some((i) => i.title === webTitle) ? items : undefined;
    }, 10_000, 'both items listed by a replica');
    assert.equal(listed.filter((i) => i.title === title).length, 1, 'one row for the API key');
    assert.equal(listed.filter((i) => i.title === webTitle).length, 1, 'one row for the web key');
  });

  it('serves the frontend assets through the frontend nginx', async () => {
    const page = await http(`${t.ingressUrl}/`);
    const asset = page.body.match(/(?:href|src)="(\/assets\/[^"]+)"/);
    assert.ok(asset, 'the page references an asset under /assets/');
    const r = await http(`${t.ingressUrl}${asset[1]}`);
    assert.equal(r.status, 200);
  });

  it('keeps the stats page and the Prometheus endpoint closed without credentials', async () => {
    for (const p of ['/stats', '/metrics']) {
      const anon = await http(`${t.statsUrl}${p}`);
      assert.equal(anon.status, 401, `${p} without credentials`);
      const auth = 'Basic ' + Buffer.from(`${defaults.local.statsUser}:${readStatsPassword()}`).toString('base64');
      const ok = await http(`${t.statsUrl}${p}`, { headers: { authorization: auth } });
      assert.equal(ok.status, 200, `${p} with credentials`);
    }
  });

  it('keeps the registry closed without credentials: anonymous catalog, pulls and node pulls refused; the suite\'s credential works; no deletes', { timeout: 5 * 60_000 }, async () => {
    const reg = `http://127.0.0.1:${defaults.local.registryPort}`;
    const password = readRegistryPassword();
    assert.ok(password, 'stack:up generated the registry password in the state dir');
    const basic = (pw: string) => ({ authorization: 'Basic ' + Buffer.from(`${REGISTRY_USER}:${pw}`).toString('base64') });
    const v2 = 'application/vnd.docker.distribution.manifest.v2+json';
    assert.equal((await http(`${reg}/v2/_catalog`)).status, 401, 'anonymous catalog');
    assert.equal((await http(`${reg}/v2/swarm-gameday/todoapi/tags/list`)).status, 401, 'anonymous tag list');
    assert.equal((await http(`${reg}/v2/_catalog`, { headers: basic('wrong-password') })).status, 401, 'wrong password');
    const cat = await http(`${reg}/v2/_catalog`, { headers: basic(password) });
    assert.equal(cat.status, 200);
    assert.ok(cat.json?.repositories?.includes('swarm-gameday/todoapi'), `the images are kept: ${cat.body}`);
    const tags = (await http(`${reg}/v2/swarm-gameday/todoapi/tags/list`, { headers: basic(password) })).json?.tags as string[];
    const tag = tags[0];
    assert.equal((await http(`${reg}/v2/swarm-gameday/todoapi/manifests/${tag}`, { headers: { accept: v2 } })).status, 401, 'anonymous manifest (pull)');
    const man = await http(`${reg}/v2/swarm-gameday/todoapi/manifests/${tag}`, { headers: { accept: v2, ...basic(password) } });
    assert.equal(man.status, 200, 'authenticated manifest (pull)');
    const digest = man.headers.get('docker-content-digest');
    assert.match(String(digest), /^sha256:/);
    const del = await http(`${reg}/v2/swarm-gameday/todoapi/manifests/${digest}`, { method: 'DELETE', headers: basic(password) });
    assert.equal(del.status, 405, `deletes stay off even with the credential: ${del.body.slice(0, 200)}`);

    // a node pulls only with the credential: a tag no node has, pushed from the host now
    const ref = `swarm-gameday/authcheck:${process.pid}${Date.now().toString(36)}`;
    const push = await runCommand('docker', ['tag', LOCAL_SWARM.baseImage, `127.0.0.1:${defaults.local.registryPort}/${ref}`], { env: hostEnv() });
    assert.equal(push.code, 0, push.stderr);
    const p = await runCommand('docker', ['push', `127.0.0.1:${defaults.local.registryPort}/${ref}`], { env: hostEnv(localRegistryEnv()) });
    assert.equal(p.code, 0, `push with the suite's DOCKER_CONFIG: ${p.stderr}`);
    const worker = LOCAL_SWARM.workers[LOCAL_SWARM.workers.length - 1];
    const anonPull = await runCommand('docker', ['exec', worker, 'docker', 'pull', `registry:5000/${ref}`], { env: hostEnv(), timeoutMs: 60_000 });
    assert.notEqual(anonPull.code, 0, 'an anonymous pull by a node is refused');
    assert.match(anonPull.stderr, /no basic auth credentials|unauthorized/i);
    const docker = swarmDocker(t.dockerHost);
    const name = `gameday-authcheck-${process.pid}`;
    try {
      await createServiceWithAuth(docker, {
        Name: name,
        TaskTemplate: {
          ContainerSpec: { Image: `registry:5000/${ref}`, Command: ['true'] },
          RestartPolicy: { Condition: 'none' },
          Placement: { Constraints: [`node.hostname==${worker}`] },
        },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Mode: 'dnsrr' },
      });
      const state = await eventually(async () => {
        const task = ((await docker.listTasks({ filters: { service: [name] } })) as any[])[0];
        const st = String(task?.Status?.State ?? '');
        return ['complete', 'failed', 'rejected'].includes(st) ? `${st} ${task?.Status?.Err ?? ''}` : undefined;
      }, 120_000, 'the authcheck task done', 500);
      assert.match(state, /^complete/, `the node pulled the new tag with the credential sent on service create: ${state}`);
    } finally {
      await docker.getService(name).remove().catch(() => undefined);
    }
  });

  it('runs replication on every replica with the heartbeat advancing', async () => {
    const docker = swarmDocker(t.dockerHost);
    const first = await replicaStates(docker);
    assert.equal(first.length, 2);
    for (const r of first) {
      assert.ok(r.ioRunning && r.sqlRunning, `${r.task}: ${JSON.stringify(r)}`);
      assert.notEqual(r.heartbeatLagMs, null);
    }
    // heartbeat advancing: lag stays below 1 s over more than 1 s of wall time. A frozen
    // heartbeat would show a lag growing past the elapsed time.
    const t0 = Date.now();
    await eventually(async () => Date.now() - t0 > 1500, 5000, 'time to pass', 100);
    const second = await replicaStates(docker);
    for (const r of second) assert.ok(r.heartbeatLagMs !== null && r.heartbeatLagMs < 1000, `${r.task} heartbeat lag ${r.heartbeatLagMs} ms`);
  });

  it('answers bad input with 4xx JSON errors and stays healthy', async () => {
    const post = (body: string, ct = 'application/json') => http(`${api}/todo`, { method: 'POST', headers: { 'content-type': ct }, body });
    const put = (body: unknown) => http(`${api}/todo`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const cases: [string, Promise<Awaited<ReturnType<typeof http>>>][] = [
      ['wrong types', post(JSON.stringify({ title: 42, content: ['x'] }))],
      ['missing fields', post(JSON.stringify({}))],
      ['empty title', post(JSON.stringify({ title: '', content: 'x' }))],
      ['malformed JSON', post('{"title": "x",')],
      ['oversized body', post(JSON.stringify({ title: 'x', content: 'y'.repeat(64 * 1024) }))],
      ['unknown status (PUT)', put({ id: 1, title: 'x', content: 'y', status: 'LATER' })],
      ['bad id (PUT)', put({ id: -3, title: 'x', content: 'y', status: 'DONE' })],
      ['unknown status (GET)', http(`${api}/todo?status=LATER`)],
    ];
    for (const [name, p] of cases) {
      const r = await p;
      assert.ok(r.status >= 400 && r.status < 500, `${name}: got ${r.status} ${r.body.slice(0, 200)}`);
      assert.equal(typeof r.json?.message, 'string', `${name}: JSON error body, got ${r.body.slice(0, 200)}`);
      assert.equal(r.json?.status, r.status, `${name}: status field`);
    }
    const health = await http(`${api}/healthz`);
    assert.equal(health.status, 200);
  });

  it('re-running stack:up on a running stack changes nothing', async () => {
    const docker = swarmDocker(t.dockerHost);
    // `stack deploy` bumps Version.Index even when nothing changes, so compare what matters: the
    // specs themselves and the running tasks (none replaced)
    const snapshot = async () => ({
      specs: Object.fromEntries((await docker.listServices()).map((s) => [s.Spec?.Name, JSON.stringify(s.Spec)])),
      tasks: ((await docker.listTasks({ filters: { 'desired-state': ['running'] } })) as any[]).map((t) => t.ID).sort(),
    });
    const before = await snapshot();
    const r = await runTsx('scripts/stack.ts', ['up'], { timeoutMs: 10 * 60_000 });
    recordTiming('stackUpWarmMs', r.ms);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const after = await snapshot();
    assert.deepEqual(after.specs, before.specs, 'no service spec changed');
    assert.deepEqual(after.tasks, before.tasks, 'no task was replaced');
  });
});
