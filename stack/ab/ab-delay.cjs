// Planted slowdown for npm run ab / bench:compare (stack/ab/Dockerfile.delay): preloaded with
// `node -r`, holds every request except the health path for AB_DELAY_MS (fractional ms) before
// the API sees it. AB_DELAY_MS unset or 0: nothing is patched, the API runs as built.
'use strict';
const http = require('node:http');
const ms = Number(process.env.AB_DELAY_MS || 0);
if (!(ms >= 0)) throw new Error(`AB_DELAY_MS: expected a number of milliseconds >= 0, got ${JSON.stringify(process.env.AB_DELAY_MS)}`);
if (ms > 0) {
  const ns = BigInt(Math.round(ms * 1e6));
  const emit = http.Server.prototype.emit;
  // setTimeout alone rounds to whole milliseconds: sleep most of it, then yield until the deadline
  const hold = (until, fn) => (process.hrtime.bigint() >= until ? fn() : setImmediate(hold, until, fn));
  http.Server.prototype.emit = function (event, req, res) {
    if (event !== 'request' || (req.url || '').startsWith('/livez')) return emit.apply(this, arguments);
    const until = process.hrtime.bigint() + ns;
    const go = () => emit.call(this, event, req, res);
    const coarse = Math.floor(ms) - 1;
    if (coarse >= 1) setTimeout(() => hold(until, go), coarse);
    else hold(until, go);
    return true;
  };
}
