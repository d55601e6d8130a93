// The HTTP layer against a throwaway loopback server: each failure kind is what a client sees.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { httpRequest } from '../../chaos/measure/http-request.ts';
import { checkTargetUrl, joinUrl } from '../../chaos/measure/target.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';

let server: http.Server;
let base: URL;
const agent = new http.Agent({ keepAlive: true });

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok') res.end('[]');
    else if (req.url === '/fail') (res.statusCode = 503), res.end('{"status":503}');
    else if (req.url === '/reset') req.socket.destroy();
    else if (req.url === '/hang') setTimeout(() => res.end('late'), 3000).unref();
    else if (req.url === '/partial') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('abc');
      setTimeout(() => req.socket.destroy(), 20);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
});
after(() => {
  agent.destroy();
  server.closeAllConnections();
  server.close();
});

test('http: 2xx is ok, keeps the body when asked', async () => {
  const r = await httpRequest(joinUrl(base, '/ok'), { timeoutMs: 2000, agent, keepBody: true });
  assert.equal(r.ok, true);
  assert.equal(r.status, 200);
  assert.equal(r.body, '[]');
});

test('http: non-2xx is a status failure', async () => {
  const r = await httpRequest(joinUrl(base, '/fail'), { timeoutMs: 2000, agent });
  assert.deepEqual([r.ok, r.status, r.error], [false, 503, 'status']);
});

test('http: no answer within the deadline is a timeout, at the deadline', async () => {
  const r = await httpRequest(joinUrl(base, '/hang'), { timeoutMs: 300, agent: false });
  assert.deepEqual([r.ok, r.status, r.error], [false, 0, 'timeout']);
  assert.ok(r.ms >= 290 && r.ms < 1500, `took ${r.ms} ms`);
});

test('http: a connection closed without an answer is a reset; mid-body too', async () => {
  assert.equal((await httpRequest(joinUrl(base, '/reset'), { timeoutMs: 2000, agent: false })).error, 'reset');
  const partial = await httpRequest(joinUrl(base, '/partial'), { timeoutMs: 2000, agent: false });
  assert.equal(partial.ok, false);
  assert.equal(partial.error, 'reset');
});

test('http: a closed port is a connect failure', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const r = await httpRequest(new URL(`http://127.0.0.1:${port}/`), { timeoutMs: 2000, agent: false });
  assert.deepEqual([r.ok, r.status, r.error], [false, 0, 'connect']);
});

test('target: loopback only unless the user named a remote target', () => {
  assert.equal(checkTargetUrl('http://127.0.0.1:18080', 'ingressUrl').port, '18080');
  assert.equal(checkTargetUrl('http://localhost:1/x', 'ingressUrl').hostname, 'localhost');
  assert.throws(() => checkTargetUrl('http://10.1.2.3:80', 'ingressUrl'), (e: unknown) => e instanceof ConfigError && /ingressUrl: expected a loopback URL/.test(e.message));
  assert.equal(checkTargetUrl('http://10.1.2.3:80', 'ingressUrl', true).hostname, '10.1.2.3');
  assert.throws(() => checkTargetUrl('ftp://127.0.0.1', '--ingress'), /--ingress: expected an http/);
  assert.throws(() => checkTargetUrl('nope', '--ingress'), /--ingress: expected an http\(s\) URL, got "nope"/);
  assert.equal(joinUrl(new URL('http://127.0.0.1:1/prefix/'), '/api/todo?status=TODO').href, 'http://127.0.0.1:1/prefix/api/todo?status=TODO');
});
