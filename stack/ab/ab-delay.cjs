// Planted slowdown for npm run ab / bench:compare (stack/ab/Dockerfile.delay): preloaded with
// `node -r`, holds every request except the health paths for AB_DELAY_MS (rounded to whole ms) before
// the API sees it. AB_DELAY_MS unset or 0: nothing is patched, the API runs as built.
'use strict';
const http = require('node:http');
const ms = Number(process.env.AB_DELAY_MS || 0);
if (!(ms >= 0)) throw new Error(`AB_DELAY_MS: expected a number of milliseconds >= 0, got ${JSON.stringify(process.env.AB_DELAY_MS)}`);
if (ms > 0) {
  const emit = http.Server.prototype.emit;
  // a timer, not a spin: spinning would burn the container's CPU share and slow every other
  // request too (libuv timers have 1 ms resolution, so the delay is rounded to whole ms)
  const wait = Math.max(1, Math.round(ms));
  http.Server.prototype.emit = function (event, req, res) {
    if (event !== 'request' || (req.url || '').startsWith('/livez') || (req.url || '').startsWith('/healthz')) return emit.apply(this, arguments);
    setTimeout(() => emit.call(this, event, req, res), wait);
    return true;
  };
}
