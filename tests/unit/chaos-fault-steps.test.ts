// The steps the node faults (kill / pause) and the spec faults (rolling / bad update) share, on
// fake engines: what each sends, what its undo does from each state, and the plan lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { badUpdate } from '../../chaos/faults/bad-update.ts';
import { killNode } from '../../chaos/faults/kill-node.ts';
import { nodeCutScript, nodeHealScript, partition } from '../../chaos/faults/partition.ts';
import { freezeScript, LIST_RUNNING, pauseNode, thawScript } from '../../chaos/faults/pause-node.ts';
import { netem } from '../../chaos/faults/netem.ts';
import { hangEngine } from '../../chaos/faults/hang-engine.ts';
import { rollingUpdate } from '../../chaos/faults/rolling-update.ts';
import type { ChaosContext } from '../../chaos/faults/types.ts';
import { fakeCtx } from './chaos-fakes.ts';

const nodes = ['manager', 'w1', 'w2'].map((h) => ({
  ID: `id-${h}`,
  Description: { Hostname: h },
  Spec: { Role: h === 'manager' ? 'manager' : 'worker', Availability: 'active' },
  Status: { State: 'ready' },
}));

/** A host engine whose node containers are in the given states; records every call. */
function hostWith(states: Record<string, 'running' | 'paused' | 'stopped'>, calls: string[]) {
  return {
    getContainer: (name: string) => ({
      inspect: async () => ({ State: { Paused: states[name] === 'paused', Running: states[name] !== 'stopped' } }),
      kill: async (o: unknown) => void calls.push(`kill ${name} ${JSON.stringify(o)}`),
      pause: async () => void calls.push(`pause ${name}`),
      unpause: async () => void calls.push(`unpause ${name}`),
      start: async () => void calls.push(`start ${name}`),
    }),
  };
}

function nodeCtx(states: Record<string, 'running' | 'paused' | 'stopped'>, calls: string[], log: string[] = []): ChaosContext {
  return {
    ...fakeCtx(log),
    swarm: { listNodes: async () => nodes, listTasks: async () => [], getService: () => ({ inspect: async () => ({}) }) } as never,
    host: hostWith(states, calls) as never,
    // the node's own engine: record what is run in it (pause-node freezes/thaws its task containers)
    nodeExec: (async (node: string, cmd: string[]) => {
      const script = cmd.join(' ');
      if (script.includes(LIST_RUNNING)) {
        calls.push(`in ${node}: list tasks`);
        return { stdout: `${'e'.repeat(64)}\n`, stderr: '', exitCode: 0 };
      }
      calls.push(`in ${node}: ${/unpause/.test(script) ? 'unpause tasks' : /pause/.test(script) ? 'pause tasks' : script}`);
      return { stdout: '2\n', stderr: '', exitCode: 0 };
    }) as never,
    hostNetwork: 'net',
  };
}

test('kill-node / pause-node plan lines', () => {
  const p = killNode.schema.parse({});
  assert.equal(killNode.describe(p), 'kill node <busiest worker without todo_mysql_master> (docker kill on the host); undo: docker start, wait until the node is Ready');
  assert.equal(
    pauseNode.describe(pauseNode.schema.parse({ node: 'w2' })),
    'pause node w2 (docker pause on the host; through the agent: SIGSTOP of every process of its task containers, then of its engine (dockerd, containerd, shims), held and undone by a guard on the node); undo: docker unpause (node, then the task containers it paused); through the agent: SIGCONT of the task processes and at once of the engine',
  );
  assert.equal(
    hangEngine.describe(hangEngine.schema.parse({ node: 'w2' })),
    "hang the engine of node w2 (docker pause of the node container alone: its tasks keep running; through the agent: SIGSTOP of dockerd, containerd and the shims in the host pid namespace, held and undone by a guard on the node); undo: docker unpause (the node's engine), wait until Ready",
  );
  assert.deepEqual(killNode.targets(killNode.schema.parse({ node: 'w1' })), { services: [], nodes: ['w1'] });
  assert.equal(killNode.needsHost && pauseNode.needsHost, true);
});

test('kill-node sends SIGKILL, pause-node pauses, each to the picked node', async () => {
  for (const [fault, expected] of [
    [killNode, 'kill w1 {"signal":"SIGKILL"}'],
    [pauseNode, 'in w1: list tasks,in w1: pause tasks,pause w1'],
    // only the engine: the node container, not its tasks
    [hangEngine, 'pause w1'],
  ] as const) {
    const calls: string[] = [];
    const ctx = nodeCtx({ w1: 'running' }, calls);
    const entry = await fault.prepare(ctx, fault.schema.parse({ node: 'w1' }), 'f');
    assert.deepEqual({ kind: entry.kind, node: entry.node }, { kind: fault.kind, node: 'w1' });
    await fault.inject(ctx, entry);
    // a paused node container alone leaves its tasks running (sibling cgroups): tasks first
    assert.deepEqual(calls, expected.split(','));
  }
});

test('node undo brings the container back from any state, then waits until Ready', async () => {
  for (const fault of [killNode, pauseNode, hangEngine]) {
    for (const [state, back] of [
      ['paused', ['unpause w1']],
      ['stopped', ['start w1']],
      ['running', []],
    ] as const) {
      const calls: string[] = [];
      await fault.undo(nodeCtx({ w1: state }, calls), { kind: fault.kind, name: 'f', params: {}, node: 'w1' });
      // pause-node also thaws the node's task containers once the node is back, from any state
      const expected = fault === pauseNode ? [...back, 'in w1: unpause tasks'] : [...back];
      assert.deepEqual(calls, expected, `${fault.kind} undo from ${state}`);
    }
  }
});

/** A service whose updates settle at once with the given state; records the specs sent. */
function serviceCtx(endState: string, sent: any[]) {
  const svc: any = {
    ID: 'S',
    Version: { Index: 10 },
    Spec: { Name: 'api', TaskTemplate: { ContainerSpec: { Image: 'api:1', Env: ['A=1'] }, ForceUpdate: 0 }, UpdateConfig: { Parallelism: 2 } },
    UpdateStatus: { StartedAt: 't0', State: 'completed' },
  };
  const swarm = {
    getService: () => ({
      inspect: async () => structuredClone(svc),
      update: async (o: { _query: { version: number }; _body: any }) => {
        assert.equal(o._query.version, svc.Version.Index, 'sent against the version read');
        sent.push(o._body);
        svc.Spec = structuredClone(o._body);
        svc.Version.Index++;
        svc.UpdateStatus = { StartedAt: `t${svc.Version.Index}`, State: endState, Message: `ended ${endState}` };
      },
    }),
  };
  return { ctx: { ...fakeCtx(), swarm: swarm as never } as ChaosContext, svc };
}

test('rolling-update: captures the spec, sends env/image with a forced update, notes the end state; undo restores', async () => {
  const sent: any[] = [];
  const { ctx, svc } = serviceCtx('completed', sent);
  const entry = await rollingUpdate.prepare(ctx, rollingUpdate.schema.parse({ service: 'api', env: { B: '2' }, image: 'api:2' }), 'ru');
  assert.equal(entry.previous.TaskTemplate.ContainerSpec.Image, 'api:1');
  await rollingUpdate.inject(ctx, entry);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].TaskTemplate.ContainerSpec.Env, ['A=1', 'B=2']);
  assert.equal(sent[0].TaskTemplate.ContainerSpec.Image, 'api:2');
  assert.equal(sent[0].TaskTemplate.ForceUpdate, 1);
  assert.equal(entry.notes?.updateState, 'completed');
  assert.equal(typeof entry.notes?.updateMs, 'number');
  await rollingUpdate.undo(ctx, entry);
  assert.equal(sent.length, 2);
  assert.equal(svc.Spec.TaskTemplate.ContainerSpec.Image, 'api:1');
  await rollingUpdate.undo(ctx, entry);
  assert.equal(sent.length, 2, 'already restored: nothing sent');
});

test('rolling-update: an update that does not complete fails the step', async () => {
  const { ctx } = serviceCtx('paused', []);
  const entry = await rollingUpdate.prepare(ctx, rollingUpdate.schema.parse({ service: 'api' }), 'ru');
  await assert.rejects(rollingUpdate.inject(ctx, entry), /rolling update of api ended paused/);
});

test('bad-update: a failing healthcheck with failure_action=rollback; notes whether Swarm rolled back', async () => {
  const sent: any[] = [];
  const { ctx } = serviceCtx('rollback_completed', sent);
  const entry = await badUpdate.prepare(ctx, badUpdate.schema.parse({ service: 'api' }), 'bu');
  await badUpdate.inject(ctx, entry);
  const spec = sent[0];
  assert.deepEqual(spec.TaskTemplate.ContainerSpec.Healthcheck.Test, ['CMD-SHELL', 'exit 1']);
  assert.deepEqual(
    { ...spec.UpdateConfig },
    { Parallelism: 2, Order: 'stop-first', FailureAction: 'rollback', Monitor: 5000 * 1_000_000, MaxFailureRatio: 0 },
  );
  assert.equal(entry.notes?.rolledBack, true);
  assert.equal(typeof entry.notes?.settleMs, 'number');
  assert.deepEqual(badUpdate.targets(badUpdate.schema.parse({ service: 'api' })), { services: ['api'], nodes: [] });
});

test('partition node: finds the link by the node address, DROPs it in the node netns; undo removes exactly those rules', async () => {
  const calls: string[] = [];
  const ctx: ChaosContext = {
    ...nodeCtx({ w1: 'running' }, calls),
    host: {
      getContainer: (name: string) => ({
        inspect: async () => ({ State: { Running: true, Paused: false }, NetworkSettings: { Networks: { net: { IPAddress: '172.18.0.6' } } }, Name: name }),
      }),
    } as never,
    nodeExec: (async (node: string, cmd: string[]) => {
      calls.push(`${node}: ${cmd.join(' ')}`);
      const stdout = cmd[0] === 'ip' ? '47: eth1    inet 172.18.0.6/16 brd 172.18.255.255 scope global eth1\\       valid_lft forever\n' : '';
      return { stdout, stderr: '', exitCode: 0 };
    }) as never,
  };
  const p = partition.schema.parse({ mode: 'node', node: 'w1' });
  assert.match(partition.describe(p), /^partition node w1: DROP everything on its link/);
  const entry = await partition.prepare(ctx, p, 'np');
  assert.deepEqual({ node: entry.node, iface: entry.iface }, { node: 'w1', iface: 'eth1' });
  assert.deepEqual(calls, ['w1: ip -o -4 addr show to 172.18.0.6']);
  await partition.inject(ctx, entry);
  assert.equal(calls[1], `w1: sh -c ${nodeCutScript('eth1')}`);
  await partition.undo(ctx, entry);
  assert.equal(calls[2], `w1: sh -c ${nodeHealScript('eth1')}`);

  // every rule the cut inserts is one the heal deletes (same chain, same match)
  const inserted = [...nodeCutScript('eth1').matchAll(/iptables -I (\w+) 1 (.+?) -j (\w+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  const deleted = [...nodeHealScript('eth1').matchAll(/iptables -D (\w+) (.+?) -j (\w+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  assert.equal(inserted.length, 4, 'in, out and forwarded both ways');
  assert.deepEqual(deleted.sort(), inserted.sort());
});

test('partition node: a node without an address on the shared network is a clear error before anything is cut', async () => {
  const calls: string[] = [];
  const ctx: ChaosContext = {
    ...nodeCtx({ w1: 'running' }, calls),
    host: { getContainer: () => ({ inspect: async () => ({ NetworkSettings: { Networks: {} } }) }) } as never,
  };
  await assert.rejects(partition.prepare(ctx, partition.schema.parse({ mode: 'node', node: 'w1' }), 'np'), /partition: node w1 has no address on net/);
  assert.deepEqual(calls, []);
});

// issue 14: pause undo unpaused every paused container on the node, also those chaos did not pause
test('pause-node records exactly which task containers it paused and unpauses only those', async () => {
  const A = 'a'.repeat(64), B = 'b'.repeat(64), C = 'c'.repeat(64), D = 'd'.repeat(64);
  // A, B run; C was paused by someone else before; D starts after prepare
  const state: Record<string, 'running' | 'paused'> = { [A]: 'running', [B]: 'running', [C]: 'paused' };
  const calls: string[] = [];
  const ctx: ChaosContext = {
    ...nodeCtx({ w1: 'running' }, calls),
    nodeExec: (async (_node: string, cmd: string[]) => {
      const script = cmd.join(' ');
      const listed = [...script.matchAll(/'([0-9a-f]{64})'/g)].map((m) => m[1]!);
      if (script.includes(LIST_RUNNING)) return { stdout: Object.keys(state).filter((id) => state[id] === 'running').join('\n'), stderr: '', exitCode: 0 };
      if (script === `sh -c ${freezeScript(listed)}`) {
        const done = listed.filter((id) => state[id] === 'running');
        for (const id of done) state[id] = 'paused';
        return { stdout: done.join('\n'), stderr: '', exitCode: 0 };
      }
      if (script === `sh -c ${thawScript(listed)}`) {
        const done = listed.filter((id) => state[id] === 'paused');
        for (const id of done) state[id] = 'running';
        return { stdout: done.join('\n'), stderr: '', exitCode: 0 };
      }
      throw new Error(`unexpected: ${script}`);
    }) as never,
  };
  const entry = await pauseNode.prepare(ctx, pauseNode.schema.parse({ node: 'w1' }), 'p');
  assert.deepEqual(entry.containers, [A, B], 'the candidates are in the entry (and so in the ledger) before anything is paused');
  state[D] = 'running';
  const injected = await pauseNode.inject(ctx, entry);
  assert.deepEqual(injected.paused, [A, B]);
  assert.deepEqual(calls, ['pause w1']);
  state[D] = 'paused'; // someone else pauses D meanwhile
  await pauseNode.undo({ ...ctx, host: hostWith({ w1: 'paused' }, calls) as never }, injected);
  assert.deepEqual(state, { [A]: 'running', [B]: 'running', [C]: 'paused', [D]: 'paused' }, 'only what the fault paused is unpaused');
  // a run killed between pausing and the ledger update: the candidates from prepare are used
  state[A] = 'paused';
  await pauseNode.undo(ctx, { ...entry, paused: undefined });
  assert.equal(state[A], 'running');
  assert.equal(state[C], 'paused');
});

// issue 14: a hung engine made task-partition undo report success and drop its ledger entry
test('task undo (partition, netem) succeeds only when verifiably done: a hung engine keeps it failed; a gone task is done', async () => {
  const ref = { service: 'todo_app_api', task: 't1', slot: 1, node: 'w1', container: 'c'.repeat(64) };
  const ctxWith = (inspect: { exitCode: number; stdout?: string; stderr?: string }, node: 'running' | 'paused' | 'stopped' = 'running', undoExit = 0) => {
    const calls: string[] = [];
    const ctx: ChaosContext = {
      ...nodeCtx({ w1: node }, calls),
      nodeExec: (async (_n: string, cmd: string[]) => {
        calls.push(cmd.slice(0, 2).join(' '));
        if (cmd[0] === 'docker' && cmd[1] === 'inspect') return { stdout: '', stderr: '', ...inspect };
        if (cmd[0] === 'nsenter') return { stdout: '', stderr: '', exitCode: 0 };
        return { stdout: '', stderr: undoExit ? 'Error response from daemon: container is paused' : '', exitCode: undoExit };
      }) as never,
    };
    return { ctx, calls };
  };
  const partEntry = { kind: 'partition', name: 'p', params: {}, tasks: [ref] };
  const netemEntry = { kind: 'netem', name: 'n', params: {}, tasks: [ref] };
  // the node's engine does not answer (nodeExec timed out): nobody knows whether the rules are gone
  for (const [fault, entry] of [[partition, partEntry], [netem, netemEntry]] as const) {
    await assert.rejects(fault.undo(ctxWith({ exitCode: -1 }).ctx, entry as never), /docker inspect of todo_app_api\.1 on node w1 \(node running\) failed \(exit -1\): no answer within 30 s/, fault.kind);
    await assert.rejects(fault.undo(ctxWith({ exitCode: 1, stderr: 'container is paused' }, 'paused').ctx, entry as never), /failed \(exit 1\)/, fault.kind);
    // verifiably gone: no such container, a stopped task (pid 0), or the node container stopped
    await fault.undo(ctxWith({ exitCode: 1, stderr: 'Error: No such object: cccc' }).ctx, entry as never);
    await fault.undo(ctxWith({ exitCode: 0, stdout: '0\n' }).ctx, entry as never);
    // a running task: the heal script runs in its netns
    const ok = ctxWith({ exitCode: 0, stdout: '4242\n' });
    await fault.undo(ok.ctx, entry as never);
    assert.ok(ok.calls.includes('nsenter -t'), fault.kind);
  }
  // netem: the delayer stop on the node must succeed too (its exit code was ignored)
  await assert.rejects(netem.undo(ctxWith({ exitCode: 0, stdout: '4242\n' }, 'running', 1).ctx, netemEntry as never), /stopping gameday-netdelay of todo_app_api\.1 on node w1 \(node running\) failed \(exit 1\): Error response from daemon: container is paused/);
  await netem.undo(ctxWith({ exitCode: 1, stderr: 'x' }, 'stopped', 1).ctx, netemEntry as never);
});
