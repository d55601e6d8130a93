// stack/ab/ab-delay.cjs, the planted slowdown of npm run ab and bench:compare --ab: run in a real
// node process (as the candidate image preloads it). Only lower bounds are asserted: a request
// can always take longer on a busy machine, never less than the planted delay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const PRELOAD = path.resolve(import.meta.dirname, '../../stack/ab/ab-delay.cjs');

// a server with the preload and a client in one process: each request's time to its handler, and
// whether a health path was held
const CHILD = `
const http = require('node:http');
const events = require('node:events');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (url) => new Promise((ok, bad) => http.get(url, { agent }, (r) => {
  let b = ''; r.setEncoding('utf8'); r.on('data', (c) => (b += c)); r.on('end', () => ok(b));
}).on('error', bad));
const srv = http.createServer((q, r) => { r.end(String(process.hrtime.bigint())); }).listen(0, async () => {
  const base = 'http://127.0.0.1:' + srv.address().port;
  const out = { patched: http.Server.prototype.emit !== events.EventEmitter.prototype.emit, waits: [], cpuMs: 0 };
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const at = BigInt(await get(base + '/todo'));
    out.waits.push(Number(at - t0) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  out.cpuMs = (cpu.user + cpu.system) / 1000;
  srv.close();
  agent.destroy();
  console.log(JSON.stringify(out));
});`;;

function run(delayMs: string | undefined, n = 20): { patched: boolean; waits: number[]; cpuMs: number } {
  const env = { ...process.env, AB_DELAY_MS: delayMs };
  if (delayMs === undefined) delete env.AB_DELAY_MS;
  return JSON.parse(execFileSync(process.execPath, ['-r', PRELOAD, '-e', `const N = ${n};` + CHILD], { env, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] }));
}

test('no AB_DELAY_MS: the server is not patched', () => {
  assert.equal(run(undefined).patched, false);
  assert.equal(run('0').patched, false);
});

test('a sub-millisecond delay is held in full (a spin, not a timer rounded to whole ms)', () => {
  const r = run('0.4');
  assert.equal(r.patched, true);
  for (const w of r.waits) assert.ok(w >= 0.4, `a request reached its handler after ${w} ms, under the planted 0.4 ms`);
});

test('a hold under 3 ms sleeps: the server spends far less CPU than the time it holds', () => {
  // 100 requests held 2.9 ms each: a spin costs >= 290 ms of CPU more than no delay; a sleep with
  // a 0.1 ms spun tail measured ~40 ms more (the spun tails, and the process's own threads)
  const held = run('2.9', 100);
  const free = run('0', 100);
  for (const w of held.waits) assert.ok(w >= 2.9, `a request reached its handler after ${w} ms, under the planted 2.9 ms`);
  const extra = held.cpuMs - free.cpuMs;
  assert.ok(extra < 145, `holding 100 requests for 2.9 ms cost ${extra.toFixed(1)} ms more CPU than not holding them (a spin costs >= 290 ms)`);
});

test('a longer delay is held by a timer (to its 1 ms resolution)', () => {
  // libuv measures a timer from the loop's cached time, which may be up to ~1 ms older than the send
  const r = run('5');
  for (const w of r.waits) assert.ok(w >= 4, `a request reached its handler after ${w} ms, under the planted 5 ms less 1 ms`);
});

test('a bad AB_DELAY_MS fails the process, naming the variable', () => {
  assert.throws(() => run('soon'), /AB_DELAY_MS: expected a number of milliseconds >= 0, got "soon"/);
});
