// Safety refusals, each a SafetyError (exit 4) naming why: swarm not marked allowed, a degraded
// target, blast radius (share of tasks, last manager, manager without --allow-manager), node faults
// off the local swarm; and the clear errors for a target that is not a swarm or an unknown service.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ExitCode, SafetyError, UnreachableError } from '../../scripts/lib/errors.ts';
import { pickNode } from '../../chaos/faults/nodes.ts';
import { blastRadius, pickTasks } from '../../chaos/faults/pick.ts';
import { faults } from '../../chaos/faults/index.ts';
import { scale } from '../../chaos/faults/scale.ts';
import { planExperiment } from '../../chaos/plan.ts';
import { checkAllowed, checkHostAccess, checkNotDegraded, checkServicesExist, checkStaticBlastRadius, checkSwarm } from '../../chaos/safety.ts';
import type { TaskView } from '../../chaos/swarm.ts';
import { experiment, fakeCtx } from './chaos-fakes.ts';

interface FakeNode { id: string; host: string; role: 'manager' | 'worker'; state?: string; labels?: Record<string, string> }
interface FakeService { id: string; name: string; replicas: number; running: number; starting?: number; update?: string }

function fakeSwarm(o: { info?: unknown; infoError?: Error; nodes?: FakeNode[]; services?: FakeService[] }) {
  const nodes = o.nodes ?? [
    { id: 'm', host: 'mgr', role: 'manager', labels: { 'gameday.chaos': 'allowed' } },
    { id: 'w1', host: 'w1', role: 'worker' },
    { id: 'w2', host: 'w2', role: 'worker' },
  ];
  const services = o.services ?? [{ id: 'S1', name: 'todo_app_api', replicas: 2, running: 2 }];
  const tasks = services.flatMap((s) => [
    ...Array.from({ length: s.running }, (_, i) => ({ ID: `${s.id}-r${i}`, ServiceID: s.id, Slot: i + 1, NodeID: nodes[1 + (i % (nodes.length - 1))]!.id, DesiredState: 'running', Status: { State: 'running', ContainerStatus: { ContainerID: `c-${s.id}-${i}` } } })),
    ...Array.from({ length: s.starting ?? 0 }, (_, i) => ({ ID: `${s.id}-s${i}`, ServiceID: s.id, Slot: 10 + i, NodeID: 'w1', DesiredState: 'running', Status: { State: 'starting' } })),
  ]);
  const svcJson = (s: FakeService) => ({ ID: s.id, Version: { Index: 1 }, Spec: { Name: s.name, Mode: { Replicated: { Replicas: s.replicas } } }, UpdateStatus: s.update ? { State: s.update } : undefined });
  return {
    info: async () => {
      if (o.infoError) throw o.infoError;
      return o.info ?? { Swarm: { LocalNodeState: 'active', ControlAvailable: true } };
    },
    listNodes: async () =>
      nodes.map((n) => ({ ID: n.id, Description: { Hostname: n.host }, Spec: { Role: n.role, Availability: 'active', Labels: n.labels ?? {} }, Status: { State: n.state ?? 'ready' }, Version: { Index: 1 } })),
    listServices: async () => services.map(svcJson),
    listTasks: async (opts?: { filters?: { service?: string[] } }) => tasks.filter((t) => !opts?.filters?.service || opts.filters.service.includes(t.ServiceID)),
    getService: (name: string) => ({
      inspect: async () => {
        const s = services.find((x) => x.name === name || x.id === name);
        if (!s) throw Object.assign(new Error('no such service'), { statusCode: 404 });
        return svcJson(s);
      },
    }),
  } as never;
}

const isSafety = (re: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SafetyError, `expected SafetyError, got ${String(err)}`);
  assert.equal((err as SafetyError).exitCode, ExitCode.safety);
  assert.match((err as Error).message, re);
  return true;
};

test('refuses a swarm that is not marked allowed for chaos, naming the label', async () => {
  const swarm = fakeSwarm({ nodes: [{ id: 'm', host: 'mgr', role: 'manager' }, { id: 'w', host: 'w', role: 'worker', labels: { 'gameday.chaos': 'allowed' } }] });
  await assert.rejects(checkAllowed(swarm), isSafety(/not marked as allowed.*gameday\.chaos=allowed/));
  await checkAllowed(fakeSwarm({}));
});

test('refuses when a target service is already degraded (fewer running than desired, or tasks not yet healthy)', async () => {
  await assert.rejects(checkNotDegraded(fakeSwarm({ services: [{ id: 'S', name: 'todo_app_api', replicas: 2, running: 1 }] }), ['todo_app_api']), isSafety(/already degraded.*todo_app_api 1\/2 running/));
  await assert.rejects(checkNotDegraded(fakeSwarm({ services: [{ id: 'S', name: 'todo_app_api', replicas: 2, running: 2, starting: 1 }] }), ['todo_app_api']), isSafety(/degraded/));
  await assert.rejects(checkNotDegraded(fakeSwarm({ services: [{ id: 'S', name: 'todo_app_api', replicas: 2, running: 2, update: 'updating' }] }), ['todo_app_api']), isSafety(/update updating/));
  await checkNotDegraded(fakeSwarm({}), ['todo_app_api']);
});

test('a target that is not a swarm manager, or does not answer, is a clear error before anything', async () => {
  await assert.rejects(checkSwarm(fakeSwarm({ info: { Swarm: { LocalNodeState: 'inactive' } } }), 'tcp://h:1'), (e: unknown) => e instanceof ConfigError && /expected a swarm manager.*inactive/.test((e as Error).message));
  await assert.rejects(checkSwarm(fakeSwarm({ info: { Swarm: { LocalNodeState: 'active', ControlAvailable: false } } }), 'tcp://h:1'), /worker node/);
  await assert.rejects(checkSwarm(fakeSwarm({ infoError: new Error('ECONNREFUSED') }), 'tcp://h:1'), (e: unknown) => e instanceof UnreachableError);
});

test('an unknown service is a ConfigError naming the known ones', async () => {
  await assert.rejects(checkServicesExist(fakeSwarm({}), ['todo_app_apii'], 'experiment x'), (e: unknown) => e instanceof ConfigError && /expected one of todo_app_api, got "todo_app_apii"/.test((e as Error).message));
});

test('blast radius: never more than maxShare of the running tasks, never all of them', () => {
  assert.equal(blastRadius(2, 0.5), 1);
  assert.equal(blastRadius(3, 0.5), 1);
  assert.equal(blastRadius(4, 0.5), 2);
  assert.equal(blastRadius(2, 1), 1, 'even share 1 leaves one task');
  assert.equal(blastRadius(1, 0.5), 0);
  const tasks: TaskView[] = [1, 2, 3, 4].map((i) => ({ id: `t${i}`, service: 's', slot: i, nodeId: `n${i % 2}`, node: `n${i % 2}`, state: 'running', desired: 'running', containerId: `c${i}` }));
  assert.throws(() => pickTasks('s', tasks, { count: 3, maxShare: 0.5 }), isSafety(/3 of 4 running task\(s\) of s requested, at most 2 allowed/));
  assert.throws(() => pickTasks('s', tasks.slice(0, 1), { count: 1, maxShare: 0.5 }), isSafety(/at most 0 allowed/));
  assert.equal(pickTasks('s', tasks.slice(0, 1), { count: 1, maxShare: 0.5, allowAll: true }).length, 1);
  assert.deepEqual(pickTasks('s', tasks, { share: 0.5, maxShare: 0.5, pick: 'first' }).map((t) => t.id), ['t1', 't2']);
  assert.deepEqual(pickTasks('s', tasks, { count: 1, node: 'n0', maxShare: 0.5 }).map((t) => t.node), ['n0']);
  assert.throws(() => checkStaticBlastRadius(planExperiment(experiment({ method: [{ type: 'fault', fault: 'kill-tasks', params: { service: 's', share: 0.75 } }] }), faults), 0.5), isSafety(/75% of the tasks, max share is 50%/));
});

test('scale-down inside the blast radius only', async () => {
  const ctx = { ...fakeCtx(), swarm: fakeSwarm({ services: [{ id: 'S', name: 'api', replicas: 4, running: 4 }] }) };
  await assert.rejects(scale.prepare(ctx, scale.schema.parse({ service: 'api', replicas: 1 }), 'x'), isSafety(/from 4 to 1.*minimum 2/));
  const e = await scale.prepare(ctx, scale.schema.parse({ service: 'api', delta: -2 }), 'x');
  assert.equal(e.target, 2);
});

test('node faults: never the last manager, managers only with --allow-manager, never the last worker', async () => {
  const one = fakeSwarm({ nodes: [{ id: 'm', host: 'mgr', role: 'manager' }, { id: 'w', host: 'w1', role: 'worker' }, { id: 'w2', host: 'w2', role: 'worker' }], services: [] });
  await assert.rejects(pickNode({ ...fakeCtx(), swarm: one }, { node: 'mgr', avoidServices: [] }, 'kill-node'), isSafety(/mgr is a manager; pass --allow-manager/));
  await assert.rejects(pickNode({ ...fakeCtx(), swarm: one, allowManager: true }, { node: 'mgr', avoidServices: [] }, 'kill-node'), isSafety(/last manager/));
  const lastWorker = fakeSwarm({ nodes: [{ id: 'm', host: 'mgr', role: 'manager' }, { id: 'w', host: 'w1', role: 'worker' }, { id: 'w2', host: 'w2', role: 'worker', state: 'down' }], services: [] });
  await assert.rejects(pickNode({ ...fakeCtx(), swarm: lastWorker }, { node: 'w1', avoidServices: [] }, 'kill-node'), isSafety(/last ready worker/));
  await assert.rejects(pickNode({ ...fakeCtx(), swarm: lastWorker }, { node: 'w2', avoidServices: [] }, 'kill-node'), isSafety(/not ready/));
  await assert.rejects(pickNode({ ...fakeCtx(), swarm: one }, { node: 'nope', avoidServices: [] }, 'kill-node'), (e: unknown) => e instanceof ConfigError);
  const picked = await pickNode({ ...fakeCtx(), swarm: one }, { avoidServices: [] }, 'kill-node');
  assert.equal(picked.role, 'worker');
});

test('faults that need the node containers are refused off the embedded local swarm', () => {
  const plan = planExperiment(experiment({ method: [{ type: 'fault', fault: 'kill-node', params: {} }, { type: 'fault', fault: 'drain-node', params: {} }] }), faults);
  assert.throws(() => checkHostAccess(plan, false, 'tcp://remote:2375'), isSafety(/kill-node need the node containers/));
  checkHostAccess(plan, true, 'tcp://127.0.0.1:12375');
  checkHostAccess(planExperiment(experiment({ method: [{ type: 'fault', fault: 'drain-node', params: {} }] }), faults), false, 'tcp://remote:2375');
});
