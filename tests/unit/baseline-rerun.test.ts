// The integration tests' rerun rule: a run whose baseline broke before any fault acted, or one that failed only on timing under hypervisor steal or on a saturated host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { baselineBroken, rerunReason, starvedRun, withOneRerun } from '../helpers/baseline.ts';
import { CpuSampler, cpuShare, parseProcStat } from '../helpers/cpu.ts';
import type { RunResult } from '../helpers/run.ts';

function runWith(journal: object, verdicts: object[]): RunResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-'));
  fs.writeFileSync(path.join(dir, 'journal.json'), JSON.stringify(journal));
  fs.writeFileSync(path.join(dir, 'verdicts.json'), JSON.stringify(verdicts));
  return { code: 1, signal: null, stdout: `FAIL: 4/8 verdicts ok; run folder ${dir}; report x`, stderr: '', ms: 1 };
}
const v = (ok: boolean, actual: string) => ({ experiment: 'e', tolerance: 'longest outage <= 3000 ms', expected: '<= 3000 ms', actual, ok });

test('broken before the fault: an outage from the before phase, or a steady state that did not hold before', () => {
  assert.match(baselineBroken(runWith({ status: 'completed' }, [v(false, '148363 ms (from before on web-index/fresh)')]))!, /from before/);
  assert.match(baselineBroken(runWith({ status: 'aborted', error: 'steady state did not hold before: GET / answered 504' }, []))!, /did not hold before/);
});

test('a failure during or after the fault, a pass, or no run folder is never a rerun', () => {
  assert.equal(baselineBroken(runWith({ status: 'completed' }, [v(false, '9000 ms (fault:kill-tasks:api, web-index/fresh)')])), undefined);
  assert.equal(baselineBroken(runWith({ status: 'completed' }, [v(true, '0 ms')])), undefined);
  assert.equal(baselineBroken({ code: 2, signal: null, stdout: 'bad flag', stderr: '', ms: 1 }), undefined);
});

test('reruns once at most, after settling', async () => {
  const broken = runWith({ status: 'completed' }, [v(false, 'worst 0.00% in before')]);
  let runs = 0;
  let settled = 0;
  const r = await withOneRerun('x', async () => (runs++, broken), async () => void settled++);
  assert.equal(r, broken);
  assert.deepEqual([runs, settled], [2, 1]);
});

const starving = (r: RunResult, stealPct: number, idlePct = 30): RunResult => ({ ...r, cpu: { stealPct, idlePct } });
const t = (tolerance: string, ok: boolean) => ({ experiment: 'e', tolerance, expected: 'x', actual: 'y', ok });

test('starved: only timing tolerances failed while steal took >= 10 % of the CPU or the host was <= 10 % idle', () => {
  const timing = runWith({ status: 'completed' }, [t('run completed', true), t('availability >= 99.5% in every phase', false), t('longest outage <= 1000 ms', false)]);
  assert.match(starvedRun(starving(timing, 25))!, /steal 25\.0 %.*availability >= 99\.5%/);
  assert.match(rerunReason(starving(timing, 25))!, /machine was starved/);
  // a saturated host (no steal, no idle CPU) counts as well
  assert.match(starvedRun(starving(timing, 0, 4))!, /steal 0\.0 %, idle 4\.0 %/);
  // not starved: little steal with CPU to spare, or no CPU figures
  assert.equal(starvedRun(starving(timing, 9.9)), undefined);
  assert.equal(starvedRun(starving(timing, 0, 10.5)), undefined);
  assert.equal(starvedRun(timing), undefined);
  assert.equal(rerunReason(starving(timing, 2)), undefined);
});

test('never a rerun under steal: a lost write, an undone fault, the steady state after, an unseen fault, a pass', () => {
  for (const bad of ['no acknowledged write lost', 'every fault undone', 'steady state after', 'run completed', 'latency rises by >= 200 ms while the fault acts', 'a lagging replica is reported']) {
    const r = runWith({ status: 'completed' }, [t('availability >= 99.5% in every phase', false), t(bad, false)]);
    assert.equal(starvedRun(starving(r, 60)), undefined, bad);
  }
  const pass = { ...runWith({ status: 'completed' }, [t('availability >= 99.5% in every phase', true)]), code: 0 };
  assert.equal(rerunReason(starving(pass, 60)), undefined);
});

test('CPU shares from /proc/stat: steal and idle (with iowait) over an interval', () => {
  const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n');
  const b = parseProcStat('cpu  150 0 70 860 60 0 0 60 0 0\n');
  assert.deepEqual(a, { total: 1000, steal: 0, idle: 850 });
  const s = cpuShare(a, b)!;
  assert.equal(Math.round(s.stealPct), 30);
  assert.equal(Math.round(s.idlePct), 35);
  assert.equal(parseProcStat('no cpu here'), undefined);
  assert.equal(cpuShare(b, a), undefined);
});

test('CpuSampler: a share for a window within its samples (Linux)', { skip: !fs.existsSync('/proc/stat') }, async () => {
  const s = new CpuSampler(10).start();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 60));
  s.stop();
  const share = s.shareBetween(t0, Date.now())!;
  assert.ok(share.stealPct >= 0 && share.stealPct <= 100 && share.idlePct >= 0 && share.idlePct <= 100, JSON.stringify(share));
});
