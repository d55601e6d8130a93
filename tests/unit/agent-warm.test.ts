// chaos/agent/warm.ts: the job that makes every node pull the agent image before a run measures.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { warmedBefore, warmProgress, warmSpec } from '../../chaos/agent/warm.ts';
import { AGENT_LABEL } from '../../chaos/agent/spec.ts';

test('the warm-up is a global job of the agent image running true: no socket, no node pinned, labelled for --recover', () => {
  const s = warmSpec('warm1', 'registry:5000/swarm-gameday/gameday-agent:abc@sha256:00') as any;
  assert.deepEqual(s.Mode, { GlobalJob: {} });
  assert.equal(s.Name, 'gameday-agent-warm1');
  assert.equal(s.TaskTemplate.ContainerSpec.Image, 'registry:5000/swarm-gameday/gameday-agent:abc@sha256:00');
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Command, ['true']);
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Mounts, []);
  assert.deepEqual(s.TaskTemplate.Placement.Constraints, []);
  assert.equal(s.TaskTemplate.RestartPolicy.Condition, 'none');
  assert.equal(s.Labels[AGENT_LABEL], '1');
  assert.equal(s.Labels[`${AGENT_LABEL}.role`], 'warm');
  assert.equal(s.EndpointSpec.Mode, 'dnsrr');
});

test('progress: done only when every expected node has a final task; failures and waiting nodes named', () => {
  const nodes = ['m', 'w1', 'w2'];
  let p = warmProgress([{ node: 'm', state: 'complete' }, { node: 'w1', state: 'preparing' }], nodes);
  assert.equal(p.done, false);
  assert.deepEqual(p.waiting, ['w1', 'w2']);
  p = warmProgress([{ node: 'm', state: 'complete' }, { node: 'w1', state: 'complete' }, { node: 'w2', state: 'rejected', err: 'No such image' }], nodes);
  assert.equal(p.done, true);
  assert.deepEqual(p.pulled, ['m', 'w1']);
  assert.deepEqual(p.failed, [{ node: 'w2', state: 'rejected', err: 'No such image' }]);
  // the newest task of a node decides (tasks come oldest first)
  p = warmProgress([{ node: 'm', state: 'complete' }, { node: 'w1', state: 'complete' }, { node: 'w2', state: 'rejected' }, { node: 'w2', state: 'running' }], nodes);
  assert.equal(p.done, false);
  assert.deepEqual(p.waiting, ['w2']);
  // a task on a node not expected (drained meanwhile) does not hold it up
  p = warmProgress([{ node: 'm', state: 'complete' }, { node: 'w1', state: 'complete' }, { node: 'w2', state: 'complete' }, { node: 'w3', state: 'pending' }], nodes);
  assert.equal(p.done, true);
});

test('the note skips the warm-up only for the same image on exactly the same nodes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-'));
  const file = path.join(dir, 'agent-warm.json');
  assert.equal(warmedBefore(file, 'img:1', ['a', 'b']), false, 'no note yet');
  fs.writeFileSync(file, JSON.stringify({ image: 'img:1', nodes: ['a', 'b'], at: '2026-12-07T00:00:00Z' }));
  assert.equal(warmedBefore(file, 'img:1', ['a', 'b']), true);
  assert.equal(warmedBefore(file, 'img:2', ['a', 'b']), false, 'another image');
  assert.equal(warmedBefore(file, 'img:1', ['a', 'b', 'c']), false, 'a node joined');
  fs.writeFileSync(file, '{broken');
  assert.equal(warmedBefore(file, 'img:1', ['a', 'b']), false, 'an unreadable note');
  fs.rmSync(dir, { recursive: true });
});
