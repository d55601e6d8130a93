import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runOpenLoop } from '../../chaos/measure/open-loop.ts';
import { runProbe } from '../../chaos/measure/probe.ts';
import type { ProbeSample } from '../../scripts/lib/run-folder.ts';
import { FakeClock } from './measure-fake-clock.ts';

async function sendTimes(latencyMs: number, opts: { seconds: number; rate: number; maxInFlight: number }) {
  const clock = new FakeClock();
  const ac = new AbortController();
  const t0 = clock.now();
  const sent: number[] = [];
  let completed = 0;
  const run = runOpenLoop(
    { ratePerSec: opts.rate, maxInFlight: opts.maxInFlight, maxRequests: 10_000, maxDurationMs: 3600_000, signal: ac.signal, clock },
    async () => {
      sent.push(clock.now() - t0);
      await clock.sleep(latencyMs);
      completed++;
    },
  );
  await clock.advance(opts.seconds * 1000 - 1);
  ac.abort();
  await clock.advance(latencyMs + 1); // let in-flight requests finish
  const result = await run;
  return { sent, completed, result };
}

test('open loop: a slow server does not reduce the send rate', async () => {
  const fast = await sendTimes(5, { seconds: 10, rate: 10, maxInFlight: 50 });
  const slow = await sendTimes(3000, { seconds: 10, rate: 10, maxInFlight: 50 });
  assert.equal(fast.sent.length, 100);
  // a closed loop would have sent 10 s / 3 s = 4 requests
  assert.equal(slow.sent.length, 100);
  assert.deepEqual(slow.sent, fast.sent, 'same schedule whatever the latency');
  assert.ok(slow.sent.every((t, i) => t === i * 100), 'request n sent at n * 100 ms');
  assert.equal(slow.completed, 100, 'every request finished after stop');
  assert.equal(slow.result.dropped, 0);
});

test('open loop: the in-flight bound drops ticks but keeps the schedule', async () => {
  const { sent, result } = await sendTimes(1000, { seconds: 3, rate: 10, maxInFlight: 5 });
  // 5 in flight at 0..400 ms, slots free again at 1000..1400 ms, ...
  assert.deepEqual(sent.slice(0, 7), [0, 100, 200, 300, 400, 1000, 1100]);
  assert.equal(result.scheduled, 30);
  assert.equal(result.sent, 15);
  assert.equal(result.dropped, 15);
});

test('open loop: bounded by request count and by duration', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  let n = 0;
  const byCount = runOpenLoop({ ratePerSec: 100, maxInFlight: 10, maxRequests: 7, maxDurationMs: 3600_000, signal: ac.signal, clock }, async () => void n++);
  await clock.advance(5000);
  assert.equal((await byCount).sent, 7);
  const byTime = runOpenLoop({ ratePerSec: 10, maxInFlight: 10, maxRequests: 1e6, maxDurationMs: 2000, signal: ac.signal, clock }, async () => void n++);
  await clock.advance(60_000);
  assert.equal((await byTime).sent, 20);
});

test('open loop: rejects a zero rate', async () => {
  await assert.rejects(
    runOpenLoop({ ratePerSec: 0, maxInFlight: 1, maxRequests: 1, maxDurationMs: 1, signal: new AbortController().signal }, async () => {}),
    /ratePerSec/,
  );
});

test('probe: four streams at the rate each, interleaved, tagged with the active fault, slow answers recorded as timeouts', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const samples: ProbeSample[] = [];
  let fault: string | undefined;
  const run = runProbe({
    ingressUrl: new URL('http://127.0.0.1:1'),
    ratePerSec: 10,
    timeoutMs: 2000,
    maxDurationMs: 3600_000,
    signal: ac.signal,
    clock,
    fault: () => fault,
    onSample: (s) => samples.push(s),
    send: async (endpoint, conn) => {
      // api over fresh connections hangs until the client timeout; everything else is fast
      if (endpoint.name === 'api-list' && conn === 'fresh') {
        await clock.sleep(2000);
        return { status: 0, ok: false, error: 'timeout', ms: 2000 };
      }
      await clock.sleep(10);
      return { status: 200, ok: true, ms: 10 };
    },
  });
  await clock.advance(999);
  fault = 'kill-tasks:todo_app_api';
  await clock.advance(1000);
  ac.abort();
  await clock.advance(2500);
  const streams = await run;
  assert.equal(streams.length, 4);
  for (const s of streams) assert.equal(s.sent, 20, `${s.endpoint}/${s.conn} sent 20 in 2 s`);
  const byStream = (e: string, c: string) => samples.filter((s) => s.endpoint === e && s.conn === c);
  assert.equal(byStream('api-list', 'fresh').length, 20);
  assert.ok(byStream('api-list', 'fresh').every((s) => !s.ok && s.error === 'timeout'));
  assert.ok(byStream('web-index', 'keepalive').every((s) => s.ok && s.status === 200));
  // streams are offset so the endpoint is sampled every 25 ms overall, not in bursts of 4
  const firstSends = streams.map((_, i) => i * 25);
  assert.deepEqual([...new Set(samples.map((s) => s.t - samples[0]!.t))].sort((a, b) => a - b).slice(0, 4), firstSends);
  const tagged = samples.filter((s) => s.fault === 'kill-tasks:todo_app_api');
  assert.equal(tagged.length, 40, 'the second second of 4 streams x 10/s carries the fault');
  assert.ok(tagged.every((s) => s.t - samples[0]!.t >= 1000));
});
