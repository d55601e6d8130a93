// The steady-state hypothesis check: what it reports, and that the replication read (an agent task
// per replica on a remote swarm) is skipped once the cheap parts already failed.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { steadyStateCheck, type ReplicaStatus } from '../../chaos/steady-state.ts';

async function ingress(status: () => number): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = http.createServer((_req, res) => res.writeHead(status()).end('x'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

const caughtUp: ReplicaStatus[] = [{ task: 'db_replica.1', ioRunning: true, sqlRunning: true, heartbeatLagMs: 3 }];

test('holds: ingress answers and replication runs; the replication read is made', async () => {
  const app = await ingress(() => 200);
  let reads = 0;
  try {
    const check = steadyStateCheck({ swarm: {} as never, ingressUrl: app.url, replication: async () => (reads++, caughtUp) });
    const r = await check({ services: [], ingress: ['/api/healthz', '/'], replication: true });
    assert.equal(r.ok, true, r.details.join('; '));
    assert.equal(reads, 1);
    assert.match(r.details.join('; '), /ingress answers \/api\/healthz, \/; replication running on 1 replica\(s\), lag <= 3 ms/);
  } finally {
    await app.close();
  }
});

test('an ingress that fails fails the hypothesis, and replication is not read', async () => {
  const app = await ingress(() => 503);
  let reads = 0;
  try {
    const check = steadyStateCheck({ swarm: {} as never, ingressUrl: app.url, replication: async () => (reads++, caughtUp) });
    const r = await check({ services: [], ingress: ['/'], replication: true });
    assert.equal(r.ok, false);
    assert.equal(reads, 0, 'no replication read once the hypothesis failed');
    assert.deepEqual(r.details, ['GET / answered 503', 'replication not checked (the hypothesis already failed)']);
  } finally {
    await app.close();
  }
});

test('a replica behind the lag bound fails the hypothesis, naming it', async () => {
  const app = await ingress(() => 200);
  try {
    const check = steadyStateCheck({ swarm: {} as never, ingressUrl: app.url, maxLagMs: 100, replication: async () => [{ task: 'db_replica.2', ioRunning: true, sqlRunning: false, heartbeatLagMs: 900 }] });
    const r = await check({ services: [], ingress: ['/'], replication: true });
    assert.equal(r.ok, false);
    assert.match(r.details.join('; '), /db_replica\.2: io=true sql=false lag=900 ms/);
  } finally {
    await app.close();
  }
});
