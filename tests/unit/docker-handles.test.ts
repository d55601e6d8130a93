// The host-engine handle must reach this machine's engine even when the user's DOCKER_HOST names
// the swarm manager (as stack:up suggests): docker-modem lets a DOCKER_HOST host beat socketPath.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerOptions, hostDocker, swarmDocker } from '../../scripts/lib/docker.ts';

test('hostDocker uses the local socket whatever DOCKER_HOST says; swarmDocker follows it', () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'tcp://127.0.0.1:12375';
  try {
    const host = hostDocker().modem as unknown as { socketPath?: string; host?: string };
    assert.equal(host.host, undefined);
    assert.equal(host.socketPath, '/var/run/docker.sock');
    const swarm = swarmDocker().modem as unknown as { host?: string; port?: number };
    assert.equal(swarm.host, '127.0.0.1');
    assert.equal(Number(swarm.port), 12375);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('dockerOptions: unix:// and tcp:// forms', () => {
  assert.deepEqual(dockerOptions('unix:///run/x.sock'), { socketPath: '/run/x.sock', host: undefined });
  assert.deepEqual(dockerOptions('tcp://10.0.0.5'), { host: '10.0.0.5', port: 2375, protocol: 'http' });
});
