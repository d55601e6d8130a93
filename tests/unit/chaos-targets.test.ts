// Targets as data (issue 11): target files validated at the edge, experiments and plans naming
// roles bound onto a target's services, new experiments in a plan, the swarm check of the
// target's services, and the TODO app's stacks rendered under other names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { experiments } from '../../chaos/experiments/index.ts';
import { faults } from '../../chaos/faults/index.ts';
import { DEFAULT_PLAN, bindPlan, loadPlan } from '../../chaos/gameday-plan.ts';
import { planExperiment, experimentServices } from '../../chaos/plan.ts';
import { resolveCommon } from '../../chaos/options.ts';
import { readChaosFile } from '../../chaos/config.ts';
import { ROLES, TODO_TARGET, bindAll, bindExperiment, checkTargetServices, dbMeasureTarget, experimentRoles, loadTargetFile, parseTarget, targetServices } from '../../chaos/targets/index.ts';
import { ROLE_DEFAULTS } from '../../chaos/targets/bind.ts';
import { renderStack, serviceNames, checkNaming, DEFAULT_NAMING } from '../../scripts/lib/swarm/naming.ts';
import { STACKS } from '../../scripts/lib/swarm/stacks.ts';
import { tmpDir } from './chaos-fakes.ts';

const repoRoot = path.resolve(new URL('../../', import.meta.url).pathname);
const OTHER = parseTarget(
  {
    name: 'shop',
    roles: { ingress: 'shop_lb', api: 'shop_api', apiProxy: 'shop_api_proxy', web: 'shop_web', webProxy: 'shop_web_proxy', dbPrimary: 'shop_db_main', dbReplicas: 'shop_db_ro' },
  },
  'target file shop.yaml',
);

function throwsConfig(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal((e as ConfigError).exitCode, 2);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('the built-in target is the TODO app: binding the built-in experiments to it names the todo_* services', () => {
  assert.deepEqual(TODO_TARGET.roles, {
    ingress: 'todo_ingress_haproxy',
    api: 'todo_app_api',
    apiProxy: 'todo_app_nginx',
    web: 'todo_frontend_web',
    webProxy: 'todo_frontend_nginx',
    dbPrimary: 'todo_mysql_master',
    dbReplicas: 'todo_mysql_slave',
  });
  // the TODO target names the services the stack files deploy, no more, no less
  assert.deepEqual(targetServices(TODO_TARGET).sort(), serviceNames(DEFAULT_NAMING).sort());
  const kill = bindExperiment(experiments.get('api-kill-task')!, TODO_TARGET, faults);
  assert.equal((kill.method[0] as unknown as { params: { service: string } }).params.service, 'todo_app_api');
  assert.deepEqual(kill.targets.services, ['todo_app_api']);
  assert.deepEqual(kill.steadyState.services.sort(), targetServices(TODO_TARGET).sort());
  assert.deepEqual(kill.steadyState.ingress, ['/api/healthz', '/']);
  const primary = bindExperiment(experiments.get('primary-restart')!, TODO_TARGET, faults);
  assert.equal((primary.method[0] as unknown as { params: { service: string } }).params.service, 'todo_mysql_master');
});

test('every built-in experiment names roles only, and binds onto another target without a todo_* name left', () => {
  for (const e of experiments.values()) {
    const json = JSON.stringify(e);
    assert.ok(!/todo_/.test(json), `${e.id} names a TODO service: ${json}`);
    const bound = bindExperiment(e, OTHER, faults);
    const plan = planExperiment(bound, faults);
    const all = JSON.stringify({ bound, services: experimentServices(bound, plan), params: plan.map((p) => p.params) });
    assert.ok(!/todo_/.test(all), `${e.id} bound to shop still names a TODO service: ${all}`);
    for (const s of experimentServices(bound, plan)) assert.ok(targetServices(OTHER).includes(s), `${e.id}: ${s}`);
  }
  const drain = bindExperiment(experiments.get('node-drain')!, OTHER, faults);
  assert.deepEqual((drain.method[0] as unknown as { params: Record<string, unknown> }).params.avoidServices, ['shop_db_main']);
  assert.deepEqual((drain.method[0] as unknown as { params: Record<string, unknown> }).params.preferAvoidServices, ['shop_db_ro']);
  const stop = bindExperiment(experiments.get('replica-replication-stopped')!, OTHER, faults);
  assert.equal((stop.method[0] as unknown as { params: Record<string, unknown> }).params.service, 'shop_db_ro');
});

test('a fault whose own default names a TODO service gets a role default (so no default leaks onto another target)', () => {
  for (const f of faults.values()) {
    const defaults = f.schema.safeParse({ mode: 'node', service: 'x', replicas: 1, delayMs: 10 });
    const text = defaults.success ? JSON.stringify(defaults.data) : '';
    for (const m of text.matchAll(/"(\w+)":\s*(\["todo_[^\]]*\]|"todo_[^"]*")/g)) {
      assert.ok(ROLE_DEFAULTS[f.kind]?.[m[1]!] !== undefined, `fault ${f.kind}: ${m[1]} defaults to ${m[2]} and has no role default`);
    }
  }
});

test('a role the target does not define, or a name that is no role, is refused naming the key (exit 2)', () => {
  const apiOnly = parseTarget({ name: 'api-only', roles: { ingress: 'a_lb', api: 'a_api', dbPrimary: 'a_db' } }, 'target file a.yaml');
  throwsConfig(() => bindExperiment(experiments.get('web-kill-task')!, apiOnly, faults), /experiment web-kill-task: method\[0\]: params\.service: expected a role that target file a\.yaml defines \(ingress, api, dbPrimary\), got "web"/);
  // steady state and targets cover the roles it has
  const kill = bindExperiment(experiments.get('api-kill-task')!, apiOnly, faults);
  assert.deepEqual(kill.steadyState.services.sort(), ['a_api', 'a_db', 'a_lb']);
  assert.equal(kill.steadyState.replication, false, 'no replica role: replication is not checked');
  const raw = { ...experiments.get('api-kill-task')!, method: [{ type: 'fault' as const, fault: 'kill-tasks', params: { service: 'todo_app_api', count: 1 }, holdMs: 0 }] };
  throwsConfig(() => bindExperiment(raw, TODO_TARGET, faults), /method\[0\]: params\.service: expected a role, one of ingress, api, apiProxy, web, webProxy, dbPrimary, dbReplicas, got "todo_app_api"/);
  const bad = { ...raw, method: [{ type: 'fault' as const, fault: 'kill-tasks', params: { service: 'api', count: 0 }, holdMs: 0 }] };
  throwsConfig(() => bindExperiment(bad, TODO_TARGET, faults), /method\[0\]: fault kill-tasks: params\.count: expected .*got 0/);
  const kind = { ...raw, method: [{ type: 'fault' as const, fault: 'kill-task', params: {}, holdMs: 0 }] };
  throwsConfig(() => bindExperiment(kind, TODO_TARGET, faults), /method\[0\]: fault: expected one of kill-tasks.*got "kill-task"/);
});

test('target files: validated with zod, errors name the file, the key, expected and got', () => {
  const dir = tmpDir();
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const ok = loadTargetFile(write('ok.yaml', 'name: shop\nroles:\n  api: shop_api\n  dbPrimary: shop_db\nwrites:\n  create: { path: /v1/orders, tokenField: note }\n  list: { path: /v1/orders }\n  table: { name: orders, idColumn: id, tokenColumn: note }\n'));
  assert.deepEqual(ok.roles, { api: 'shop_api', dbPrimary: 'shop_db' });
  assert.equal(ok.writes.create.method, 'POST');
  assert.equal(ok.writes.create.path, '/v1/orders');
  assert.deepEqual(ok.probe, TODO_TARGET.probe, 'a section left out is the TODO app\'s');
  assert.match(ok.source, /^target file .*ok\.yaml$/);
  throwsConfig(() => loadTargetFile(path.join(dir, 'missing.yaml'), 'GAMEDAY_TARGET_FILE'), /^GAMEDAY_TARGET_FILE: expected a readable target file \(YAML or JSON\), got ".*missing\.yaml \(ENOENT\)"/);
  throwsConfig(() => loadTargetFile(write('syntax.yaml', 'name: [x\n')), /syntax\.yaml: \(file\): expected YAML or JSON/);
  throwsConfig(() => loadTargetFile(write('role.yaml', 'name: x\nroles:\n  api: a\n  cache: redis\n')), /role\.yaml: roles\.cache: unknown key; expected one of ingress, api, apiProxy, web, webProxy, dbPrimary, dbReplicas, got "cache"/);
  throwsConfig(() => loadTargetFile(write('svc.yaml', 'name: x\nroles:\n  api: "my api"\n')), /svc\.yaml: roles\.api: expected a Swarm service name .*, got "my api"/);
  throwsConfig(() => loadTargetFile(write('none.yaml', 'name: x\nroles: {}\n')), /none\.yaml: roles: expected at least one role/);
  throwsConfig(() => loadTargetFile(write('port.yaml', 'name: x\nroles: { api: a }\ndb: { network: n, port: 70000, user: u, passwordSecret: s, database: d }\n')), /port\.yaml: db\.port: expected a port from 1 to 65535, got 70000/);
  throwsConfig(() => loadTargetFile(write('user.yaml', 'name: x\nroles: { api: a }\ndb: { network: n, port: 3306, passwordSecret: s, database: d }\n')), /user\.yaml: db\.user: expected a DB user name .*, got nothing/);
  throwsConfig(() => loadTargetFile(write('path.yaml', 'name: x\nroles: { api: a }\nprobe: { endpoints: [{ name: list, path: api/list }], steadyPaths: [/] }\n')), /path\.yaml: probe\.endpoints\[0\]\.path: expected a path starting with \/, got "api\/list"/);
  throwsConfig(() => loadTargetFile(write('top.yaml', 'name: x\nroles: { api: a }\nservices: {}\n')), /top\.yaml: services: unknown key; expected one of name, description, roles, probe, writes, db, got "services"/);
});

test('the target file comes from --target-file > GAMEDAY_TARGET_FILE > chaos.targetFile; default the TODO app', () => {
  const dir = tmpDir();
  const f = (n: string) => {
    const p = path.join(dir, `${n}.json`);
    fs.writeFileSync(p, JSON.stringify({ name: n, roles: { api: `${n}_api` } }));
    return p;
  };
  const [flag, env, file] = [f('flag'), f('env'), f('file')];
  const cfg = path.join(dir, 'gameday.config.json');
  fs.writeFileSync(cfg, JSON.stringify({ chaos: { targetFile: file } }));
  const fileSrc = readChaosFile(cfg, {});
  assert.equal(resolveCommon({}, { env: {}, file: { values: {}, label: '' } }).app, TODO_TARGET);
  assert.equal(resolveCommon({}, { env: {}, file: fileSrc }).app.name, 'file');
  assert.equal(resolveCommon({}, { env: { GAMEDAY_TARGET_FILE: env }, file: fileSrc }).app.name, 'env');
  assert.equal(resolveCommon({ targetFile: flag }, { env: { GAMEDAY_TARGET_FILE: env }, file: fileSrc }).app.name, 'flag');
  throwsConfig(() => resolveCommon({ targetFile: path.join(dir, 'nope.json') }, { env: {}, file: fileSrc }), /^--target-file: expected a readable target file/);
  throwsConfig(() => resolveCommon({}, { env: {}, file: readChaosFile(((p) => (fs.writeFileSync(p, JSON.stringify({ chaos: { targetFile: path.join(dir, 'nope.json') } })), p))(path.join(dir, 'c2.json')), {}) }), /c2\.json: chaos\.targetFile: expected a readable target file/);
  const cfg3 = path.join(dir, 'c3.json');
  fs.writeFileSync(cfg3, JSON.stringify({ chaos: { targetFile: 7 } }));
  throwsConfig(() => readChaosFile(cfg3, {}), /c3\.json: chaos\.targetFile: expected a path to a target file .*, got 7/);
});

test('plans: built-in experiments by id and NEW experiments from the fault kinds, with their params and tolerances, bound to the target', () => {
  const dir = tmpDir();
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const plan = loadPlan(
    write(
      'new.yaml',
      [
        'name: custom',
        'experiments:',
        '  - api-kill-task',
        '  - id: proxy-slow',
        '    title: Slow the API proxy',
        '    method:',
        '      - { type: fault, fault: netem, params: { service: apiProxy, count: 1, delayMs: 50, maxDurationS: 60 }, holdMs: 4000 }',
        '    tolerances: { minAvailability: 99, expectSlowerByMs: 30 }',
        '    timing: { beforeMs: 2000, afterMs: 2000 }',
        '',
      ].join('\n'),
    ),
  );
  const bound = bindPlan(plan, OTHER, faults);
  assert.deepEqual(bound.map((e) => e.id), ['api-kill-task', 'proxy-slow']);
  const slow = bound[1]!;
  assert.equal((slow.method[0] as unknown as { params: Record<string, unknown> }).params.service, 'shop_api_proxy');
  assert.equal(slow.tolerances.expectSlowerByMs, 30);
  assert.deepEqual(slow.steadyState.services.sort(), targetServices(OTHER).sort(), 'a new experiment\'s steady state defaults to every role');
  assert.equal(planExperiment(slow, faults)[0]!.line.includes('shop_api_proxy'), true);
  assert.deepEqual(experimentRoles(plan.experiments[1]!).sort(), [...ROLES].sort());

  // errors name the plan key
  const planErr = (name: string, text: string, re: RegExp, bind = true) =>
    throwsConfig(() => {
      const p = loadPlan(write(name, text));
      if (bind) bindPlan(p, OTHER, faults);
    }, re);
  const entry = (m: string, extra = '') => `name: x\nexperiments:\n  - id: my-exp\n    title: t\n    method:\n      - ${m}\n${extra}`;
  planErr('role.yaml', entry('{ type: fault, fault: kill-tasks, params: { service: cart, count: 1 } }'), /plan .*role\.yaml: experiments\[0\]: method\[0\]: params\.service: expected a role, one of ingress, .*, got "cart"/);
  planErr('param.yaml', entry('{ type: fault, fault: kill-tasks, params: { service: api, count: -1 } }'), /plan .*param\.yaml: experiments\[0\]: method\[0\]: fault kill-tasks: params\.count: expected .*, got -1/);
  planErr('kind.yaml', entry('{ type: fault, fault: explode, params: {} }'), /plan .*kind\.yaml: experiments\[0\]: method\[0\]: fault: expected one of .*got "explode"/);
  planErr('tol.yaml', entry('{ type: fault, fault: scale, params: { service: api, delta: 1 } }', '    tolerances: { minAvailability: 0.9 }\n'), /plan .*tol\.yaml: experiments\[0\]\.tolerances\.minAvailability: expected a percent/, false);
  planErr('key.yaml', entry('{ type: fault, fault: scale, params: { service: api, delta: 1 } }', '    tolerance: {}\n'), /plan .*key\.yaml: experiments\[0\]\.tolerance: unknown key; expected one of id, title/, false);
  planErr('dup.yaml', 'name: x\nexperiments:\n  - id: api-kill-task\n    title: t\n    method: [{ type: wait, ms: 1 }]\n', /experiments\[0\]\.id: expected an id no built-in experiment has/, false);
  planErr('over.yaml', 'name: x\nexperiments:\n  - experiment: api-kill-task\n    tolerance: {}\n', /plan .*over\.yaml: experiments\[0\]\.tolerance: unknown key; expected one of experiment, timing, tolerances, maxShare/, false);
});

test('the default plan binds onto the TODO app and onto another target', () => {
  const plan = loadPlan(DEFAULT_PLAN);
  assert.equal(bindPlan(plan, TODO_TARGET, faults).length, plan.experiments.length);
  const all = bindAll(plan.experiments, OTHER, faults);
  assert.ok(!/todo_/.test(JSON.stringify(all)));
});

test('the target\'s services are checked on the swarm before anything is touched: a missing one is exit 2 naming roles.<role>', async () => {
  const swarm = { listServices: async () => ['shop_api', 'shop_db_main', 'shop_lb'].map((Name) => ({ Spec: { Name } })) } as unknown as Dockerode;
  await checkTargetServices(swarm, OTHER, ['api', 'dbPrimary']);
  await assert.rejects(checkTargetServices(swarm, OTHER, ['api', 'web', 'dbReplicas']), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match((e as Error).message, /^target file shop\.yaml: roles\.web: expected a service of this swarm \(shop_api, shop_db_main, shop_lb\), got "shop_web"\ntarget file shop\.yaml: roles\.dbReplicas: .*got "shop_db_ro"$/);
    return true;
  });
});

test('the DB facts as the in-swarm measurements take them', () => {
  assert.deepEqual(dbMeasureTarget(OTHER), { network: 'todoapp', primaryService: 'shop_db_main', replicaServices: ['shop_db_ro'], port: 3306, user: 'todo', passwordSecret: 'tododb_password', database: 'tododb' });
});

test('the stack files render under another prefix and ports: every todo_* reference renamed, nothing else changed', () => {
  const n = checkNaming({ prefix: 'gdx', appPort: 8080, statsPort: 9936 });
  for (const s of STACKS) {
    const text = fs.readFileSync(path.join(repoRoot, s.file), 'utf8');
    const out = renderStack(text, n);
    assert.ok(!/\btodo_(mysql|app|frontend|ingress)_/.test(out), `${s.file}: a todo_* reference is left`);
    assert.equal(out.split('\n').length, text.split('\n').length);
    assert.equal(renderStack(text, DEFAULT_NAMING), text, 'the default naming changes nothing');
  }
  const ingress = renderStack(fs.readFileSync(path.join(repoRoot, 'stack/todo-ingress.yml'), 'utf8'), n);
  assert.match(ingress, /API_BACKEND: gdx_app_nginx:80/);
  assert.match(ingress, /\{ target: 80, published: 8080, protocol: tcp, mode: host \}/);
  assert.match(ingress, /\{ target: 1936, published: 9936, protocol: tcp, mode: host \}/);
  const app = renderStack(fs.readFileSync(path.join(repoRoot, 'stack/todo-app.yml'), 'utf8'), n);
  assert.match(app, /TODO_REPLICA_HOST: tasks\.gdx_mysql_slave/);
  assert.deepEqual(serviceNames(n).sort(), ['gdx_app_api', 'gdx_app_nginx', 'gdx_frontend_nginx', 'gdx_frontend_web', 'gdx_ingress_haproxy', 'gdx_mysql_master', 'gdx_mysql_slave']);
  throwsConfig(() => checkNaming({ prefix: 'Bad-Name', appPort: 80, statsPort: 1936 }), /stack naming: prefix: expected a lower-case stack name prefix .*, got "Bad-Name"/);
  throwsConfig(() => checkNaming({ prefix: 'ok', appPort: 80, statsPort: 80 }), /statsPort: expected a port other than appPort 80, got 80/);
});
