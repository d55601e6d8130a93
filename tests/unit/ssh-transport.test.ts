// The ssh:// transport (scripts/lib/ssh.ts) against an in-process ssh server whose
// `docker system dial-stdio` relays to a local HTTP server and, like one whose dockerd stream went
// quiet, never closes the channel: the connection must still close once idle, so a finished
// command exits; a hijacked stream our side half-closed keeps it open while it is read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { knownHostsName, sshAgent } from '../../scripts/lib/ssh.ts';

const { Server, utils } = ssh2;

describe('ssh transport', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-transport-'));
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  let sshPort = 0;
  let httpServer: http.Server;
  let sshServer: InstanceType<typeof Server>;
  /** resolves when the ssh client's connection to the server ends */
  const ended: (() => void)[] = [];
  let openConns = 0;

  before(async () => {
    httpServer = http.createServer((_req, res) => res.end('ok'));
    httpServer.on('upgrade', (_req, sock: net.Socket) => {
      sock.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      // answers after the client's EOF, later than the transport's idle close (2 s)
      sock.on('end', () => setTimeout(() => sock.end('late output'), 2600));
      sock.resume();
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    const httpPort = (httpServer.address() as net.AddressInfo).port;
    sshServer = new Server({ hostKeys: [hostKey.private] }, (client) => {
      openConns++;
      client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, reject, info) => {
          if (info.command !== 'docker system dial-stdio') return reject();
          const ch = acceptExec();
          const up = net.connect(httpPort, '127.0.0.1');
          ch.pipe(up);
          up.pipe(ch, { end: false }); // never ends or closes the channel
          up.on('error', () => undefined);
        });
      });
      client.on('error', () => undefined);
      client.on('close', () => {
        openConns--;
        ended.splice(0).forEach((f) => f());
      });
    });
    await new Promise<void>((r) => sshServer.listen(0, '127.0.0.1', r));
    sshPort = (sshServer.address() as net.AddressInfo).port;
    const [type, blob] = hostKey.public.split(' ');
    fs.writeFileSync(path.join(dir, 'known_hosts'), `${knownHostsName('127.0.0.1', sshPort)} ${type} ${blob}\n`);
  });
  after(() => {
    sshServer.close();
    httpServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const agent = () =>
    sshAgent({ host: '127.0.0.1', port: sshPort, username: 'u' }, { privateKey: Buffer.from(clientKey.private), knownHosts: path.join(dir, 'known_hosts') }, { readyTimeoutMs: 10_000, refusals: [] });
  const connectionEnd = (boundMs: number) =>
    new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), boundMs);
      ended.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });

  it('closes the connection once idle although the server never closed the channel of a finished request', async () => {
    const a = agent();
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: 'docker', path: '/_ping', agent: a }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    assert.equal(body, 'ok');
    assert.equal(openConns, 1);
    assert.equal(await connectionEnd(10_000), true, 'the ssh connection stayed open after the request (it would hold the process)');
  });

  it('keeps the connection while a hijacked stream our side ended for EOF is still read', async () => {
    const a = agent();
    const out = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: 'docker', path: '/attach', agent: a, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
      req.on('upgrade', (_res, sock) => {
        let b = '';
        sock.on('data', (d) => {
          b += d;
          if (b.includes('late output')) {
            sock.destroy(); // done with it (the stub server never ends the channel)
            resolve(b);
          }
        });
        sock.on('error', reject);
        // closed under us before the late output came: the transport dropped a stream still read
        sock.on('close', () => reject(new Error(`the stream was closed before the late output (got ${JSON.stringify(b)})`)));
        sock.end('stdin');
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(out, 'late output');
    assert.equal(await connectionEnd(10_000), true, 'destroyed by us: the connection closes once idle');
  });
});
