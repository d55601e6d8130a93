// The host-engine handle must reach this machine's engine even when the user's DOCKER_HOST names
// the swarm manager (as stack:up suggests): docker-modem lets a DOCKER_HOST host beat socketPath.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import http from 'node:http';
import net from 'node:net';
import { DOCKER_API_TIMEOUT_MS, dockerOptions, hostDocker, swarmDocker } from '../../scripts/lib/docker.ts';
import { ConfigError, DockerError, TimeoutError } from '../../scripts/lib/errors.ts';
import { waitFor } from '../../chaos/swarm.ts';

test('hostDocker uses the local socket whatever DOCKER_HOST says; swarmDocker follows it', () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'tcp://10.0.0.9:12375'; // not the embedded default (its TLS files are not needed here)
  try {
    const host = hostDocker().modem as unknown as { socketPath?: string; host?: string };
    assert.equal(host.host, undefined);
    assert.equal(host.socketPath, '/var/run/docker.sock');
    const swarm = swarmDocker().modem as unknown as { host?: string; port?: number };
    assert.equal(swarm.host, '10.0.0.9');
    assert.equal(Number(swarm.port), 12375);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('dockerOptions: unix://, tcp:// and ssh:// forms, every one with a timeout', () => {
  assert.deepEqual(dockerOptions('unix:///run/x.sock'), { socketPath: '/run/x.sock', host: undefined, timeout: DOCKER_API_TIMEOUT_MS });
  assert.deepEqual(dockerOptions('tcp://10.0.0.5'), { host: '10.0.0.5', port: 2375, protocol: 'http', timeout: DOCKER_API_TIMEOUT_MS });
  assert.deepEqual(dockerOptions('tcp://[::1]:2376'), { host: '::1', port: 2376, protocol: 'http', timeout: DOCKER_API_TIMEOUT_MS });
  // ssh: plain HTTP over our own agent (one ssh connection, `docker system dial-stdio` per request)
  const ssh = dockerOptions('ssh://ops@mgr.example:2222') as Record<string, unknown>;
  assert.deepEqual({ ...ssh, agent: typeof ssh.agent, sshRefusals: undefined }, { protocol: 'http', host: 'mgr.example', port: 2222, agent: 'object', timeout: DOCKER_API_TIMEOUT_MS, sshRefusals: undefined });
  // issue 14: tcp://127.0.0.1:99999 was "Invalid URL" naming nothing
  assert.throws(() => dockerOptions('tcp://127.0.0.1:99999'), (e: unknown) => e instanceof ConfigError && /^DOCKER_HOST: expected .*port from 1 to 65535, got "tcp:\/\/127\.0\.0\.1:99999"$/.test(e.message));
});

// issue 14: dockerode had no timeout, so a hung manager hung the run; errors named neither call nor host
test('a Docker API call to a manager that accepts and never answers fails in time, naming the call and the host', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s)); // accepts, never answers: a paused manager
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const saved = process.env.GAMEDAY_DOCKER_TIMEOUT_MS;
  process.env.GAMEDAY_DOCKER_TIMEOUT_MS = '300';
  try {
    const t0 = Date.now();
    await assert.rejects(swarmDocker(`tcp://127.0.0.1:${port}`).listNodes(), (e: unknown) => {
      assert.ok(e instanceof DockerError, String(e));
      assert.match(e.message, new RegExp(`^docker API GET /nodes on tcp://127\\.0\\.0\\.1:${port}: no answer within 0 s`));
      return true;
    });
    assert.ok(Date.now() - t0 < 5000);
    process.env.GAMEDAY_DOCKER_TIMEOUT_MS = 'soon';
    assert.throws(() => swarmDocker('tcp://127.0.0.1:1'), /GAMEDAY_DOCKER_TIMEOUT_MS: expected milliseconds/);
  } finally {
    if (saved === undefined) delete process.env.GAMEDAY_DOCKER_TIMEOUT_MS;
    else process.env.GAMEDAY_DOCKER_TIMEOUT_MS = saved;
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('a refused connection names the call and the host; a 404 keeps its statusCode', async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'service x not found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await assert.rejects(swarmDocker(`tcp://127.0.0.1:${port}`).getService('x').inspect(), (e: unknown) => {
      assert.match((e as Error).message, /^docker API GET \/services\/x on tcp:\/\/127\.0\.0\.1:\d+: .*not found/);
      assert.equal((e as { statusCode?: number }).statusCode, 404);
      return true;
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await assert.rejects(swarmDocker("tcp://127.0.0.1:1").info(), /^DockerError: docker API GET \/info on tcp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
});

// issue 14: waitFor never bounded a running attempt, so one hung call hung the whole wait
test('waitFor bounds each attempt: a check that never settles fails the wait in time, naming what was awaited', async () => {
  const t0 = Date.now();
  await assert.rejects(
    waitFor('node w1 to be ready', () => new Promise<undefined>(() => undefined), { timeoutMs: 300, intervalMs: 50, attemptTimeoutMs: 100 }),
    (e: unknown) => {
      assert.ok(e instanceof TimeoutError, String(e));
      assert.match(e.message, /^timed out after 0 s waiting for node w1 to be ready; last attempt: node w1 to be ready \(one attempt\): no answer within 1 s$/);
      return true;
    },
  );
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  // a hung first attempt does not keep a later good one from answering
  let n = 0;
  assert.equal(await waitFor('x', () => (n++ === 0 ? new Promise<undefined>(() => undefined) : Promise.resolve('ok')), { timeoutMs: 2000, intervalMs: 10, attemptTimeoutMs: 100 }), 'ok');
});
