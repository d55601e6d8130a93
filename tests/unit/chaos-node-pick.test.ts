// Picking a node for node-level faults (drain, kill, pause) on a fake swarm API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickNode } from '../../chaos/faults/nodes.ts';
import { drainNode } from '../../chaos/faults/drain-node.ts';
import { SafetyError } from '../../scripts/lib/errors.ts';
import { fakeCtx } from './chaos-fakes.ts';

const nodes = ['manager', 'w1', 'w2', 'w3'].map((h) => ({
  ID: `id-${h}`,
  Description: { Hostname: h },
  Spec: { Role: h === 'manager' ? 'manager' : 'worker', Availability: 'active' },
  Status: { State: 'ready' },
}));

/** a swarm whose services run one task on each of the given nodes */
function fakeSwarm(placement: Record<string, string[]>) {
  return {
    listNodes: async () => nodes,
    getService: (name: string) => ({
      inspect: async () => {
        if (!placement[name]) throw Object.assign(new Error('no such service'), { statusCode: 404 });
        return { ID: name, Spec: { Name: name } };
      },
    }),
    listTasks: async ({ filters }: { filters: { service?: string[] } }) =>
      (filters.service ? [filters.service[0]!] : Object.keys(placement)).flatMap((svc) =>
        (placement[svc] ?? []).map((n, i) => ({ ID: `${svc}-${i}`, NodeID: `id-${n}`, DesiredState: 'running', Status: { State: 'running' } })),
      ),
  };
}

function ctxWith(placement: Record<string, string[]>) {
  return { ...fakeCtx(), swarm: fakeSwarm(placement) as never };
}

const drainDefaults = drainNode.schema.parse({});

test('drain prefers a worker without any DB task', async () => {
  const ctx = ctxWith({ todo_mysql_master: ['w1'], todo_mysql_slave: ['w2', 'w2'] });
  for (let i = 0; i < 20; i++) assert.equal((await pickNode(ctx, drainDefaults, 'drain-node')).hostname, 'w3');
});

test('drain takes a replica node when the primary and replicas occupy every worker, never the primary node', async () => {
  const ctx = ctxWith({ todo_mysql_master: ['w1'], todo_mysql_slave: ['w2', 'w3'] });
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add((await pickNode(ctx, drainDefaults, 'drain-node')).hostname);
  assert.ok(!seen.has('w1'), 'the primary node is never drained');
  assert.ok(!seen.has('manager'), 'the manager is never picked at random');
  assert.ok(seen.size >= 1 && [...seen].every((h) => h === 'w2' || h === 'w3'));
});

test('a required avoidance leaving no worker is a safety refusal', async () => {
  const ctx = ctxWith({ todo_mysql_master: ['w1', 'w2', 'w3'] });
  await assert.rejects(pickNode(ctx, drainDefaults, 'drain-node'), SafetyError);
});

test('node faults prefer the busiest allowed worker: an emptied node would test nothing', async () => {
  const ctx = ctxWith({ todo_mysql_master: ['w1'], api: ['w3', 'w3'], web: ['w2'] });
  const kill = { avoidServices: ['todo_mysql_master'] };
  for (let i = 0; i < 20; i++) assert.equal((await pickNode(ctx, kill, 'kill-node')).hostname, 'w3');
  const even = ctxWith({ todo_mysql_master: ['w1'], api: ['w2', 'w3'] });
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) seen.add((await pickNode(even, kill, 'kill-node')).hostname);
  assert.deepEqual([...seen].sort(), ['w2', 'w3'], 'equally busy nodes are picked at random');
});
