// The lag streams through the chaos agent (chaos/measure/agent-stream.ts): the stream service's
// spec, and the incremental demuxing of its followed log into stdout/stderr lines; the shared
// inner command of node-stream.ts (pid line, timeout bound).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameLines, agentStreamSpec } from '../../chaos/measure/agent-stream.ts';
import { groupIdOf, groupKillCommand, taskStreamCommand } from '../../chaos/measure/node-stream.ts';
import { leftoverAgentServices } from '../../chaos/agent/sweep.ts';

const frame = (kind: number, text: string | Buffer) => {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = kind;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
};

test('taskStreamCommand: bounded by timeout -s KILL, the process group printed first', () => {
  const c = taskStreamCommand({ script: 'while :; do echo x; sleep 1; done', maxSeconds: 12.2 });
  assert.deepEqual(c.slice(0, 5), ['timeout', '-s', 'KILL', '13', 'sh']);
  assert.equal(c[5], '-c');
  assert.equal(c[6], `echo "__gameday_pid $(cut -d' ' -f5 /proc/$$/stat)"; while :; do echo x; sleep 1; done`);
  assert.equal(taskStreamCommand({ script: 'true', maxSeconds: 0 })[3], '1', 'at least 1 s');
  assert.equal(groupIdOf('__gameday_pid 4711'), 4711);
  assert.equal(groupIdOf('__gameday_pid 1'), undefined, 'never the container init');
  assert.equal(groupIdOf('__gameday_pid x'), undefined);
  assert.equal(groupIdOf('Slave_IO_Running: Yes'), undefined);
  assert.deepEqual(groupKillCommand('c1', 42), ['docker', 'exec', '-u', 'root', 'c1', 'bash', '-c', 'kill -TERM -- -42']);
});

test('agentStreamSpec: an agent service (role stream) on the task node running docker exec into the container', () => {
  const s = agentStreamSpec({ id: 'ls1', image: 'registry:5000/a@sha256:1', node: 'gameday-worker02', containerId: 'abc123', script: 'echo hi', maxSeconds: 30 }) as any;
  assert.equal(s.Name, 'gameday-agent-ls1');
  assert.equal(s.Labels['gameday.agent'], '1');
  assert.equal(s.Labels['gameday.agent.run'], 'ls1');
  assert.equal(s.Labels['gameday.agent.role'], 'stream');
  assert.equal(s.Labels['gameday.agent.node'], 'gameday-worker02');
  assert.equal(s.Labels['gameday.agent.container'], 'abc123');
  assert.deepEqual(s.TaskTemplate.Placement.Constraints, ['node.hostname==gameday-worker02']);
  assert.equal(s.TaskTemplate.RestartPolicy.Condition, 'none');
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Mounts, [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }]);
  assert.equal(s.TaskTemplate.ContainerSpec.Image, 'registry:5000/a@sha256:1');
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Command, [
    '/usr/bin/tini', '--', 'docker', 'exec', '-u', 'root', 'abc123',
    ...taskStreamCommand({ script: 'echo hi', maxSeconds: 30 }),
  ]);
  assert.deepEqual(s.EndpointSpec, { Mode: 'dnsrr' });
  // --recover sweeps it like any agent service no ledger record holds
  assert.deepEqual(leftoverAgentServices([{ name: s.Name, labels: s.Labels }], []), ['gameday-agent-ls1']);
  assert.equal(s.Labels['gameday.agent.owner'], undefined);
  // with its controller's owner label: a supervisor that fires removes the streams of that owner
  const owned = agentStreamSpec({ id: 'ls2', image: 'i', node: 'n', containerId: 'c', script: 'x', maxSeconds: 30, owner: 'host-1-ab' }) as any;
  assert.equal(owned.Labels['gameday.agent.owner'], 'host-1-ab');
});

test('FrameLines: stdout and stderr lines apart, lines cut across frames and chunks kept whole', () => {
  const f = new FrameLines();
  const all = Buffer.concat([frame(1, '__gameday_pid 7\nrow 1\nro'), frame(2, 'warn: sl'), frame(1, 'w 2\n'), frame(2, 'ow\n'), frame(1, 'tail')]);
  const got = [];
  // byte by byte: header and payload split anywhere
  for (let i = 0; i < all.length; i++) got.push(...f.push(all.subarray(i, i + 1)));
  assert.deepEqual(got, [
    { stream: 'stdout', line: '__gameday_pid 7' },
    { stream: 'stdout', line: 'row 1' },
    { stream: 'stdout', line: 'row 2' },
    { stream: 'stderr', line: 'warn: slow' },
  ]);
  assert.deepEqual(f.end(), [{ stream: 'stdout', line: 'tail' }], 'the unterminated last line at the end');
  assert.deepEqual(f.end(), []);
});

test('FrameLines: empty lines and CRLF as readline gives them; a multibyte character split across chunks', () => {
  const f = new FrameLines();
  assert.deepEqual(f.push(frame(1, 'a\r\n\nb\n')), [
    { stream: 'stdout', line: 'a' },
    { stream: 'stdout', line: '' },
    { stream: 'stdout', line: 'b' },
  ]);
  const raw = new FrameLines();
  const text = Buffer.from('plain é text\nnext\n');
  const cut = text.indexOf(0xc3) + 1; // inside the two bytes of é
  assert.deepEqual([...raw.push(text.subarray(0, cut)), ...raw.push(text.subarray(cut))], [
    { stream: 'stdout', line: 'plain é text' },
    { stream: 'stdout', line: 'next' },
  ]);
});
