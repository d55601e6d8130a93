// withOperationErrors: what a failed Docker API call says, and the one retry ssh:// reads get.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { withOperationErrors } from '../../scripts/lib/docker.ts';

type Cb = (err: any, data?: any) => void;

function fakeDocker(answers: ({ err: any } | { data: any })[], ssh: boolean): { docker: Docker; calls: () => number } {
  let n = 0;
  const modem: Record<string, unknown> = {
    timeout: 30_000,
    dial: (_o: unknown, cb: Cb) => {
      const a = answers[Math.min(n++, answers.length - 1)]!;
      setImmediate(() => ('err' in a ? cb(a.err) : cb(null, a.data)));
    },
  };
  if (ssh) modem.sshRefusals = [];
  return { docker: withOperationErrors({ modem } as unknown as Docker, ssh ? 'ssh://root@h:22' : 'tcp://h:2375'), calls: () => n };
}

const dial = (d: Docker, o: object) => new Promise<{ err: any; data: any }>((r) => (d.modem as any).dial(o, (err: any, data: any) => r({ err, data })));
const hangUp = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

test('ssh://: a GET whose channel hung up is sent once more and succeeds', async () => {
  const f = fakeDocker([{ err: hangUp() }, { data: [1, 2] }], true);
  const r = await dial(f.docker, { method: 'GET', path: '/nodes' });
  assert.equal(r.err, null);
  assert.deepEqual(r.data, [1, 2]);
  assert.equal(f.calls(), 2);
});

test('ssh://: a second hang-up is reported, naming the call, the host and the retry', async () => {
  const f = fakeDocker([{ err: hangUp() }], true);
  const r = await dial(f.docker, { method: 'GET', path: '/nodes?x=1' });
  assert.match(r.err.message, /^docker API GET \/nodes on ssh:\/\/root@h:22: socket hang up \(after one retry\)$/);
  assert.equal(f.calls(), 2);
});

test('a POST is never re-sent, nor a GET on tcp://', async () => {
  const post = fakeDocker([{ err: hangUp() }, { data: 'no' }], true);
  assert.match((await dial(post.docker, { method: 'POST', path: '/services/create' })).err.message, /POST \/services\/create on ssh:.*socket hang up$/);
  assert.equal(post.calls(), 1);
  const tcp = fakeDocker([{ err: hangUp() }, { data: 'no' }], false);
  assert.match((await dial(tcp.docker, { method: 'GET', path: '/nodes' })).err.message, /GET \/nodes on tcp:\/\/h:2375: socket hang up$/);
  assert.equal(tcp.calls(), 1);
});

test('an answer with a status code is not retried and keeps its statusCode', async () => {
  const f = fakeDocker([{ err: Object.assign(new Error('(HTTP code 404) no such service'), { statusCode: 404 }) }], true);
  const r = await dial(f.docker, { method: 'GET', path: '/services/x' });
  assert.equal(r.err.statusCode, 404);
  assert.equal(f.calls(), 1);
});
