// The in-swarm agent (chaos/agent/): log framing, service specs, dead-man bounds, ledger records,
// env validation, and the exec/arm round trip against a fake dockerode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { agentOptionsFromEnv } from '../../chaos/agent/config.ts';
import { agentNote, armFault, disarmFault, faultBoundMs } from '../../chaos/agent/deadman.ts';
import { agentNodeExec } from '../../chaos/agent/exec.ts';
import { demuxLogs, encodeCommand, encodeStdin, MAX_STDIN_BYTES, parseFramed, shQuote } from '../../chaos/agent/protocol.ts';
import { supervisorSpec } from '../../chaos/agent/runtime.ts';
import { agentServiceSpec } from '../../chaos/agent/spec.ts';
import { leftoverAgentServices } from '../../chaos/agent/sweep.ts';
import { partition, taskHealNodeScript } from '../../chaos/faults/partition.ts';
import { agentInjectScript, agentUndoScript } from '../../chaos/faults/netem.ts';
import type { AgentRuntime, ChaosContext } from '../../chaos/faults/types.ts';
import { Ledger } from '../../chaos/ledger.ts';
import type { PlannedStep } from '../../chaos/plan.ts';
import { hostAccessProblem } from '../../chaos/safety.ts';
import { nodeContainerNote } from '../../chaos/target.ts';
import { faults as defaultFaults } from '../../chaos/faults/index.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const frame = (kind: number, text: string) => {
  const body = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = kind;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
};
const framed = (id: string, out: string, err: string, rc: number) =>
  `Unable to find image locally\n@@GDA ${id} out\n${b64(out)}\n@@GDA ${id} err\n${b64(err)}\n@@GDA ${id} exit ${rc}\n`;

test('parseFramed: decodes stdout, stderr and exit code of its own run only', () => {
  const log = `${framed('other', 'x', 'y', 9)}${framed('abc', 'line 1\nline 2\n', "it's\n", 3)}`;
  assert.deepEqual(parseFramed(log, 'abc'), { stdout: 'line 1\nline 2\n', stderr: "it's\n", exitCode: 3 });
  assert.equal(parseFramed('@@GDA abc out\nAAAA\n', 'abc'), undefined, 'no exit line yet');
  // base64 wraps at 76 columns: lines are joined
  const long = 'z'.repeat(500);
  const wrapped = b64(long).match(/.{1,76}/g)!.join('\n');
  assert.equal(parseFramed(`@@GDA q out\n${wrapped}\n@@GDA q err\n@@GDA q exit 0\n`, 'q')?.stdout, long);
});

test('demuxLogs: joins the payload of multiplexed frames; leaves plain text alone', () => {
  assert.equal(demuxLogs(Buffer.concat([frame(1, 'hello '), frame(2, 'world\n')])), 'hello world\n');
  assert.equal(demuxLogs(Buffer.from('plain text\n')), 'plain text\n');
});

test('encodeCommand quotes every argument for the shell; stdin is bounded', () => {
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.equal(Buffer.from(encodeCommand(['sh', '-c', 'echo "$x" | wc -l']), 'base64').toString(), `sh -c 'echo "$x" | wc -l'`);
  assert.throws(() => encodeCommand([]), ConfigError);
  assert.equal(encodeStdin(undefined, 'x'), undefined);
  assert.throws(() => encodeStdin(Buffer.alloc(MAX_STDIN_BYTES + 1), 'cat on n1'), /stdin expected at most 49152 bytes.*got 49153/);
});

test('agent service spec: node constraint, socket mount, labels, restart none, dnsrr, no ports', () => {
  const s = agentServiceSpec({ id: 'r1', image: 'reg/agent@sha256:1', role: 'exec', node: 'w1', env: { A: '1', B: undefined }, command: ['gameday-agent-run'] }) as any;
  assert.equal(s.Name, 'gameday-agent-r1');
  assert.deepEqual(s.TaskTemplate.Placement.Constraints, ['node.hostname==w1']);
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Mounts, [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }]);
  assert.equal(s.Labels['gameday.agent'], '1');
  assert.equal(s.Labels['gameday.agent.run'], 'r1');
  assert.equal(s.TaskTemplate.RestartPolicy.Condition, 'none');
  assert.deepEqual(s.EndpointSpec, { Mode: 'dnsrr' });
  assert.equal(s.EndpointSpec.Ports, undefined);
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Env, ['A=1']);
  const sv = supervisorSpec({ id: 'sv1', image: 'img', node: 'w2', script: 'echo undo', boundMs: 80_500, label: 'partition:p', now: new Date('2026-01-01T00:00:00Z') }) as any;
  assert.deepEqual(sv.TaskTemplate.Placement.Constraints, ['node.role==manager']);
  assert.equal(sv.Labels['gameday.agent.node'], 'w2');
  assert.equal(sv.Labels['gameday.agent.deadline'], '2026-01-01T00:01:20.500Z');
  const env = Object.fromEntries(sv.TaskTemplate.ContainerSpec.Env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
  assert.equal(env.GAMEDAY_AGENT_BOUND_S, '81');
  assert.equal(env.GAMEDAY_AGENT_SELF, 'gameday-agent-sv1');
  assert.equal(Buffer.from(env.GAMEDAY_AGENT_CMD, 'base64').toString(), 'echo undo');
});

const step = (index: number, s: any): PlannedStep => ({ index, step: s, name: s.type === 'wait' ? 'wait' : `f${index}`, line: '' });

test('faultBoundMs: own hold, later waits and holds, an allowance per later fault, the margin', () => {
  const plan = [step(0, { type: 'fault', fault: 'a', holdMs: 20_000 }), step(1, { type: 'wait', ms: 5_000 }), step(2, { type: 'fault', fault: 'b', holdMs: 10_000 })];
  assert.equal(faultBoundMs(plan, 0, 60_000), 20_000 + 5_000 + 30_000 + 10_000 + 60_000);
  assert.equal(faultBoundMs(plan, 2, 60_000), 10_000 + 60_000);
});

test('arm/disarm: supervisors per node in the entry (what the ledger records), removed after undo', async () => {
  const armed: string[] = [];
  const removed: string[][] = [];
  const agent: AgentRuntime = {
    image: async () => 'img',
    arm: async (node, script, boundMs) => {
      armed.push(`${node}:${boundMs}:${script.includes('nsenter')}`);
      return `gameday-agent-sv${armed.length}`;
    },
    remove: async (s) => void removed.push(s),
  };
  const ctx = { agent, log: () => undefined } as unknown as ChaosContext;
  const entry = { kind: 'partition', name: 'p', params: {}, tasks: [{ service: 's', task: 't', node: 'w1', container: 'c'.repeat(64) }] };
  const armedEntry = await armFault(ctx, partition, entry, 90_000);
  assert.deepEqual(armed, ['w1:90000:true']);
  assert.deepEqual(agentNote(armedEntry)?.services, ['gameday-agent-sv1']);
  assert.equal(agentNote(armedEntry)?.boundMs, 90_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-ledger-'));
  const ledger = new Ledger(path.join(dir, 'ledger.json'));
  const rec = ledger.add('run', 'tcp://x:1', armedEntry, 'cluster');
  assert.deepEqual(agentNote(ledger.read()[0]!.entry), agentNote(armedEntry));
  assert.deepEqual(leftoverAgentServices([{ name: 'gameday-agent-sv1', labels: {} }, { name: 'gameday-agent-sv1u1', labels: { 'gameday.agent.parent': 'sv1' } }, { name: 'gameday-agent-x', labels: {} }], ledger.read()), ['gameday-agent-x']);
  ledger.remove(rec.id);
  await disarmFault(ctx, armedEntry);
  assert.deepEqual(removed, [['gameday-agent-sv1']]);
  // without an agent nothing is armed
  assert.equal(await armFault({ log: () => undefined } as unknown as ChaosContext, partition, entry, 1), entry);
});

test('node-side undo scripts verify what they undo', () => {
  const c = 'a'.repeat(64);
  assert.match(taskHealNodeScript(c), /iptables -S \| grep -q GAMEDAY_CHAOS/);
  assert.match(agentUndoScript(c), /docker rm -f gameday-netdelay-aaaaaaaaaaaa/);
  assert.match(agentUndoScript(c), /grep -q NFQUEUE/);
  const inj = agentInjectScript({ service: 's', count: 1, delayMs: 200, jitterMs: 0, lossPct: 0, maxDurationS: 600 }, c, 'img');
  assert.match(inj, /--net container:a{64} --cap-add NET_ADMIN --cap-add NET_RAW --entrypoint gameday-netdelay img --queue 7411 --delay 200ms/);
});

test('access: partition node mode and node-container faults need the host; task faults only node exec', () => {
  const plan = (kind: string, params: object) => [{ index: 0, step: { type: 'fault' } as any, name: 'x', fault: defaultFaults.get(kind), params, line: '' }] as PlannedStep[];
  const agentOnly = { nodeExec: true, host: false };
  assert.equal(hostAccessProblem(plan('partition', { mode: 'task', service: 's' }), agentOnly), undefined);
  // a whole node is cut off, frozen or its engine hung through the agent (a guard on the node holds it)
  for (const [kind, params] of [['partition', { mode: 'node' }], ['pause-node', {}], ['hang-engine', {}]] as const) assert.equal(hostAccessProblem(plan(kind, params), agentOnly), undefined, kind);
  // only a node kill acts on the dind node container itself
  assert.match(hostAccessProblem(plan('kill-node', {}), agentOnly)!, /kill-node need the node containers/);
  assert.equal(nodeContainerNote(plan('kill-node', {}), { host: true }), 'kill-node on the dind node containers (host engine: the embedded local swarm only)');
  assert.equal(nodeContainerNote(plan('pause-node', {}), { host: true }), undefined);
  assert.equal(nodeContainerNote(plan('kill-node', {}), { host: false }), undefined);
  assert.equal(hostAccessProblem(plan('kill-tasks', { service: 's' }), agentOnly), undefined);
  assert.match(hostAccessProblem(plan('kill-tasks', { service: 's' }), { nodeExec: false, host: false })!, /chaos agent/);
});

test('agent env: bad values exit 2 naming the variable', () => {
  assert.deepEqual(agentOptionsFromEnv({}), { nodeExec: false, registry: undefined, image: undefined });
  assert.equal(agentOptionsFromEnv({ GAMEDAY_CHAOS_AGENT: '0' }).nodeExec, true);
  assert.equal(agentOptionsFromEnv({ GAMEDAY_CHAOS_AGENT: '1', GAMEDAY_AGENT_REGISTRY: 'reg.example.com:5000' }).registry, 'reg.example.com:5000');
  assert.throws(() => agentOptionsFromEnv({ GAMEDAY_CHAOS_AGENT: 'yes' }), /GAMEDAY_CHAOS_AGENT: expected 0 or 1, got "yes"/);
  assert.throws(() => agentOptionsFromEnv({ GAMEDAY_AGENT_REGISTRY: 'http://reg' }), (e: unknown) => e instanceof ConfigError && /GAMEDAY_AGENT_REGISTRY: expected/.test(e.message));
});

test('agentNodeExec against a fake dockerode: spec, poll, framed log, removal; a failed task names node and command', async () => {
  const created: any[] = [];
  const removed: string[] = [];
  let polls = 0;
  let taskState = 'complete';
  const fake = {
    createService: async (...a: any[]) => void created.push(a.at(-1)), // (auth,) spec
    listTasks: async () => (++polls < 3 ? [{ Status: { State: 'running' } }] : [{ Status: { State: taskState, Err: 'no such image' } }]),
    getService: (name: string) => ({
      logs: async () => {
        const env = Object.fromEntries(created.at(-1).TaskTemplate.ContainerSpec.Env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
        return frame(1, framed(env.GAMEDAY_AGENT_ID, 'ok\n', '', 0));
      },
      remove: async () => void removed.push(name),
    }),
  };
  const exec = agentNodeExec(fake as any, { image: async () => 'img@sha256:x', pollMs: 1 });
  const r = await exec('w3', ['docker', 'kill', 'c1'], { timeoutMs: 5_000 });
  assert.deepEqual(r, { stdout: 'ok\n', stderr: '', exitCode: 0 });
  assert.deepEqual(created[0].TaskTemplate.Placement.Constraints, ['node.hostname==w3']);
  assert.deepEqual(removed, [created[0].Name]);
  taskState = 'rejected';
  polls = 0;
  await assert.rejects(exec('w3', ['docker', 'kill', 'c1']), /agent on node w3: `docker kill c1`: agent task rejected: no such image/);
  assert.equal(removed.length, 2, 'removed after a failure too');
});

test('--agent-registry: a bad value is named by the flag', () => {
  assert.throws(() => agentOptionsFromEnv({ GAMEDAY_AGENT_REGISTRY: 'reg example' }, '--agent-registry'), /^ConfigError|--agent-registry: expected a registry as host\[:port\]\[\/path\].*got "reg example"/);
});

test('stop-replication: the supervisor starts replication again on a replica that still runs', async () => {
  const { startReplicationNodeScript, stopReplication } = await import('../../chaos/faults/stop-replication.ts');
  const s = startReplicationNodeScript('c1', ['mariadb', '-uroot']);
  assert.match(s, /docker exec -u root c1 mariadb -uroot -e 'START SLAVE'/);
  assert.match(s, /State\.Running/);
  const undos = stopReplication.nodeUndo!({ kind: 'stop-replication', name: 'x', params: { client: ['mariadb'] }, tasks: [{ service: 's', task: 't', node: 'w2', container: 'c1' }] } as any, 'img');
  assert.deepEqual(undos.map((u) => u.node), ['w2']);
});
