// The integration tests' rerun rule: only a run whose baseline broke before any fault acted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { baselineBroken, withOneRerunOnBrokenBaseline } from '../helpers/baseline.ts';
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
  const r = await withOneRerunOnBrokenBaseline('x', async () => (runs++, broken), async () => void settled++);
  assert.equal(r, broken);
  assert.deepEqual([runs, settled], [2, 1]);
});
