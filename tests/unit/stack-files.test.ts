// The stack files keep the invariants this machine needs (no IPVS: dnsrr + host-mode ports) and
// refer to the images by the variables the build code sets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { defaultImageRef, images, stackDir } from '../../stack/images.ts';

type Service = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const files = ['todo-mysql.yml', 'todo-app.yml', 'todo-frontend.yml', 'todo-ingress.yml'];
const stacks = Object.fromEntries(
  files.map((f) => [f, YAML.parse(fs.readFileSync(path.join(stackDir, f), 'utf8'), { merge: true }) as Record<string, any>]), // eslint-disable-line @typescript-eslint/no-explicit-any
);
const services: Array<[string, string, Service]> = Object.entries(stacks).flatMap(([f, s]) =>
  Object.entries(s.services as Record<string, Service>).map(([n, svc]): [string, string, Service] => [f, n, svc]),
);

test('seed topology: service names and replica counts', () => {
  const want: Record<string, number> = {
    'todo-mysql.yml/master': 1,
    'todo-mysql.yml/slave': 2,
    'todo-app.yml/api': 2,
    'todo-app.yml/nginx': 2,
    'todo-frontend.yml/web': 2,
    'todo-frontend.yml/nginx': 2,
    'todo-ingress.yml/haproxy': 1,
  };
  assert.deepEqual(Object.fromEntries(services.map(([f, n, s]) => [`${f}/${n}`, s.deploy.replicas])), want);
});

test('every service: dnsrr, healthcheck, stop-first updates with rollback, grace period, restart policy, limits', () => {
  for (const [f, n, s] of services) {
    const where = `${f}/${n}`;
    assert.equal(s.deploy.endpoint_mode, 'dnsrr', where);
    assert.ok(Array.isArray(s.healthcheck?.test), `${where} healthcheck`);
    assert.equal(s.deploy.update_config.order, 'stop-first', where);
    assert.equal(s.deploy.update_config.parallelism, 1, where);
    assert.equal(s.deploy.update_config.failure_action, 'rollback', where);
    assert.ok(s.deploy.rollback_config, `${where} rollback_config`);
    assert.match(String(s.stop_grace_period), /^\d+s$/, where);
    assert.equal(s.deploy.restart_policy.condition, 'any', where);
    assert.ok(Number(s.deploy.resources.limits.cpus) <= 0.5, `${where} cpu limit`);
    assert.deepEqual(s.networks, ['todoapp'], where);
    const constraint = s.deploy.placement.constraints[0];
    assert.equal(constraint, n === 'haproxy' ? 'node.role == manager' : 'node.role != manager', where);
  }
  for (const s of Object.values(stacks)) assert.equal(s.networks.todoapp.external, true);
});

test('only the ingress publishes ports, in host mode (no routing mesh without IPVS)', () => {
  for (const [f, n, s] of services) {
    if (n === 'haproxy') {
      assert.deepEqual(
        s.ports.map((p: Service) => [p.target, p.published, p.mode]),
        [
          [80, 80, 'host'],
          [1936, 1936, 'host'],
        ],
      );
    } else assert.equal(s.ports, undefined, `${f}/${n}`);
  }
});

test('images come from the variables in images.ts with the registry default', () => {
  const byRepo = new Map(images.map((i) => [i.repository.split('/')[1], i]));
  for (const [f, n, s] of services) {
    const m = /^\$\{(GAMEDAY_IMAGE_[A-Z]+):-(.+)\}$/.exec(s.image);
    assert.ok(m, `${f}/${n} image ${s.image}`);
    const spec = images.find((i) => i.envVar === m[1]);
    assert.ok(spec, `${f}/${n}: ${m[1]} is one of images.ts`);
    assert.equal(m[2], defaultImageRef(spec));
  }
  assert.deepEqual([...byRepo.keys()].sort(), ['haproxy', 'nginx', 'todoapi', 'tododb', 'todoweb']);
  for (const i of images) assert.ok(fs.existsSync(path.join(stackDir, '..', i.context, i.dockerfile)), `${i.name} Dockerfile`);
});

test('secrets are external and mounted where they are read', () => {
  const secretsOf = (f: string, n: string): string[] => stacks[f].services[n].secrets ?? [];
  assert.deepEqual(secretsOf('todo-mysql.yml', 'master').sort(), ['tododb_password', 'tododb_repl_password', 'tododb_root_password']);
  assert.deepEqual(secretsOf('todo-mysql.yml', 'slave').sort(), ['tododb_repl_password', 'tododb_root_password']);
  assert.deepEqual(secretsOf('todo-app.yml', 'api'), ['tododb_password']);
  assert.deepEqual(secretsOf('todo-ingress.yml', 'haproxy'), ['haproxy_stats_password']);
  for (const s of Object.values(stacks)) for (const sec of Object.values(s.secrets ?? {})) assert.equal((sec as Service).external, true);
});

test('replica server_id comes from the task slot; web and frontend nginx share the assets volume', () => {
  const slave = stacks['todo-mysql.yml'].services.slave;
  assert.equal(slave.environment.TODODB_SERVER_ID, '{{.Task.Slot}}');
  assert.equal(slave.environment.TODODB_ROLE, 'replica');
  const fe = stacks['todo-frontend.yml'].services;
  assert.ok(fe.web.volumes.includes('assets:/assets-out'));
  assert.ok(fe.nginx.volumes.some((v: string) => v.startsWith(`assets:${fe.nginx.environment.ASSETS_DIR}`)));
});
