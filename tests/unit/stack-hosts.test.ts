// Per-connection address choice for dnsrr names: round-robin, skip recently failed addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostPicker } from '../../stack/todoapi/src/hosts.ts';

test('round-robin over the addresses in a stable order, whatever order DNS returned', () => {
  const p = new HostPicker(5000);
  const picks = [0, 1, 2, 3].map((i) => p.choose(i % 2 ? ['10.0.0.2', '10.0.0.1'] : ['10.0.0.1', '10.0.0.2']));
  assert.deepEqual(picks, ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
});

test('a failed address is skipped until badMs passed; if all are bad, all are tried', () => {
  let now = 1000;
  const p = new HostPicker(5000, () => now);
  p.markBad('10.0.0.1');
  for (let i = 0; i < 4; i++) assert.equal(p.choose(['10.0.0.1', '10.0.0.2']), '10.0.0.2');
  p.markBad('10.0.0.2');
  const both = new Set([0, 1, 2, 3].map(() => p.choose(['10.0.0.1', '10.0.0.2'])));
  assert.deepEqual([...both].sort(), ['10.0.0.1', '10.0.0.2']);
  now += 5001;
  assert.equal(p.isBad('10.0.0.1'), false);
  p.markBad('10.0.0.1');
  assert.equal(p.isBad('10.0.0.1'), true, 'marked again: avoided again');
  assert.throws(() => p.choose([]));
});

// connect(): a real socket to a local server; the caller (mysql2's connect timeout) destroys it
async function closeAfter(greet: boolean, waitMs: number): Promise<boolean> {
  const net = await import('node:net');
  const server = net.createServer((s) => {
    if (greet) s.write('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const p = new HostPicker(60_000);
  const sock = p.connect('127.0.0.1', port);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  await new Promise((r) => setTimeout(r, waitMs));
  sock.destroy();
  await new Promise<void>((r) => sock.once('close', () => r()));
  server.close();
  return p.isBad('127.0.0.1');
}

test('a server that accepts the connection but never says a word is avoided; one that greeted is not', async () => {
  assert.equal(await closeAfter(false, 100), true, 'silent (frozen or stopping mysqld)');
  assert.equal(await closeAfter(true, 200), false, 'greeted, then closed');
});

test('an address that refuses connections is avoided', async () => {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  const p = new HostPicker(60_000);
  const sock = p.connect('127.0.0.1', port);
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('close', () => r()));
  assert.equal(p.isBad('127.0.0.1'), true);
});
