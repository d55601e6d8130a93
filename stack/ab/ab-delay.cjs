// Planted slowdown for npm run ab / bench:compare (stack/ab/Dockerfile.delay): preloaded with
// `node -r`, holds every request except the health paths for AB_DELAY_MS before the API sees it.
// AB_DELAY_MS unset or 0: nothing is patched, the API runs as built.
'use strict';
const http = require('node:http');
const ms = Number(process.env.AB_DELAY_MS || 0);
if (!(ms >= 0)) throw new Error(`AB_DELAY_MS: expected a number of milliseconds >= 0, got ${JSON.stringify(process.env.AB_DELAY_MS)}`);
// Below this a spin, above it a timer. libuv timers have 1 ms resolution and fire up to ~1 ms
// late, so 10 % of a quiet machine's 4 ms p95 (0.4 ms) would become 1-2 ms. A spin that short is
// what a real regression of the handler's CPU looks like, and costs little (0.4 ms x 30 req/s is
// ~1 % of a core); a longer one would eat the container's CPU share and slow every request.
const SPIN_BELOW_MS = 3;
if (ms > 0) {
  const emit = http.Server.prototype.emit;
  const spinNs = BigInt(Math.round(ms * 1e6));
  const wait = Math.round(ms);
  const health = (req) => (req.url || '').startsWith('/livez') || (req.url || '').startsWith('/healthz');
  http.Server.prototype.emit = function (event, req, res) {
    if (event !== 'request' || health(req)) return emit.apply(this, arguments);
    if (ms < SPIN_BELOW_MS) {
      const end = process.hrtime.bigint() + spinNs;
      while (process.hrtime.bigint() < end);
      return emit.apply(this, arguments);
    }
    setTimeout(() => emit.call(this, event, req, res), wait);
    return true;
  };
}
