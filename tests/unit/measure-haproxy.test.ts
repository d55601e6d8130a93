import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counterDelta, parseStatsCsv, windowDeltas } from '../../chaos/measure/haproxy-csv.ts';
import type { HaproxyCounters } from '../../scripts/lib/run-folder.ts';

// abbreviated real header order of HAProxy 2.6 (the parser goes by column name)
const header = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,req_tot,';
const line = (px: string, sv: string, stot: number, wretr: number | '', wredis: number | '', h5: number, req: number | '') =>
  `${px},${sv},0,0,0,0,,${stot},0,0,0,0,,0,0,${wretr},${wredis},UP,1,0,0,0,0,${h5},0,${req},`;

const csv = [
  header,
  line('http-in', 'FRONTEND', 900, '', '', 3, 900),
  line('api', 'api1', 400, 2, 1, 1, ''),
  line('api', 'BACKEND', 800, 5, 2, 3, 800),
  line('web', 'BACKEND', 100, 0, 0, 0, ''),
  '',
].join('\n');

test('haproxy csv: backend rows with retries, redispatches, 5xx and requests', () => {
  assert.deepEqual(parseStatsCsv(csv), [
    { name: 'api', retries: 5, redispatches: 2, http5xx: 3, requests: 800 },
    { name: 'web', retries: 0, redispatches: 0, http5xx: 0, requests: 100 }, // no req_tot: sessions
  ]);
});

test('haproxy csv: a page that is not the stats CSV is an error', () => {
  assert.throws(() => parseStatsCsv('<html>login</html>'), /header/);
  assert.throws(() => parseStatsCsv('# pxname,svname\nx,BACKEND'), /missing columns wretr/);
});

const snap = (t: number, label: string, retries: number, requests: number): HaproxyCounters => ({
  t,
  label,
  backends: [{ name: 'api', retries, redispatches: 0, http5xx: 0, requests }],
});

test('haproxy deltas: per fault window and for the run; a restart (counter went down) counts from zero', () => {
  const d = windowDeltas([snap(0, 'before', 1, 100), snap(10, 'fault-start:kill', 1, 200), snap(20, 'fault-end:kill', 4, 260), snap(30, 'after', 4, 300)]);
  assert.deepEqual(
    d.map((w) => [w.window, w.backends[0]!.retries, w.backends[0]!.requests]),
    [
      ['kill', 3, 60],
      ['run', 3, 200],
    ],
  );
  const reset = counterDelta(snap(0, 'a', 9, 500), snap(1, 'b', 2, 40));
  assert.equal(reset[0]!.reset, true);
  assert.equal(reset[0]!.requests, 40);
});
