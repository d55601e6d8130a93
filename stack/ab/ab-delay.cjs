// Planted slowdown for npm run ab / bench:compare (stack/ab/Dockerfile.delay): preloaded with
// `node -r`, holds every request except the health paths for AB_DELAY_MS before the API sees it.
// AB_DELAY_MS unset or 0: nothing is patched, the API runs as built.
'use strict';
const http = require('node:http');
const ms = Number(process.env.AB_DELAY_MS || 0);
if (!(ms >= 0)) throw new Error(`AB_DELAY_MS: expected a number of milliseconds >= 0, got ${JSON.stringify(process.env.AB_DELAY_MS)}`);
// Below this the request thread sleeps (Atomics.wait, a futex with a timeout) and spins only the
// last SPIN_TAIL_MS, above it a timer. libuv timers have 1 ms resolution and fire up to ~1 ms
// late, so 10 % of a quiet machine's 4 ms p95 (0.4 ms) would become 1-2 ms. A plain spin was exact
// but spent the API's 0.5-CPU quota: CFS then held later requests back and the measured p95 rose
// 2.5-3x the planted time. A sleep holds the request (and, like a slow synchronous handler, the
// event loop) without spending CPU; the short spin absorbs the kernel's timer slack (~50 µs).
const SPIN_BELOW_MS = 3;
const SPIN_TAIL_MS = 0.1;
if (ms > 0) {
  const emit = http.Server.prototype.emit;
  const sleepMs = Math.max(0, ms - SPIN_TAIL_MS);
  const cell = new Int32Array(new SharedArrayBuffer(4)); // never notified: wait always times out
  const wait = Math.round(ms);
  const health = (req) => (req.url || '').startsWith('/livez') || (req.url || '').startsWith('/healthz');
  http.Server.prototype.emit = function (event, req, res) {
    if (event !== 'request' || health(req)) return emit.apply(this, arguments);
    if (ms < SPIN_BELOW_MS) {
      // performance.now(): a double, so the spin allocates nothing (hrtime.bigint made a BigInt
      // per turn, garbage the API's small heap then had to collect)
      const end = performance.now() + ms;
      if (sleepMs > 0) Atomics.wait(cell, 0, 0, sleepMs);
      while (performance.now() < end);
      return emit.apply(this, arguments);
    }
    setTimeout(() => emit.call(this, event, req, res), wait);
    return true;
  };
}
