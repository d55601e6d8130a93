// The on-disk ledger: written before injection, removed after undo; a run that is SIGKILLed
// mid-experiment leaves its faults in the ledger and the next run (or --recover) undoes them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SafetyError } from '../../scripts/lib/errors.ts';
import { Ledger, recoverLedger } from '../../chaos/ledger.ts';
import { registryOf, tmpDir, World, worldFault } from './chaos-fakes.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

test('add / update / remove round-trip through the file (fsync, atomic rename)', () => {
  const dir = tmpDir();
  const l = new Ledger(path.join(dir, 'sub', 'ledger.json'));
  const rec = l.add('run-1', 'tcp://x', { kind: 'k', name: 'n', params: {} });
  assert.equal(new Ledger(l.file).read()[0]!.status, 'injecting');
  l.update(rec.id, { status: 'injected' });
  assert.equal(new Ledger(l.file).read()[0]!.status, 'injected');
  assert.ok(fs.existsSync(path.join(dir, 'sub', '.gitignore')), 'the ledger dir is never committed');
  l.remove(rec.id);
  assert.deepEqual(new Ledger(l.file).read(), []);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')).filter((f) => f.endsWith('.tmp')), []);
});

test('records of a live foreign process are refused, not undone (a concurrent run owns them)', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'ledger.json');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    fs.writeFileSync(
      file,
      JSON.stringify({ version: 1, records: [{ id: 'a', runId: 'r', pid: child.pid, dockerHost: 'x', status: 'injected', at: '', entry: { kind: 'k', name: 'other', params: {} } }] }),
    );
    await assert.rejects(recoverLedger(new Ledger(file), async () => undefined, () => undefined), (err: unknown) => {
      assert.ok(err instanceof SafetyError);
      assert.match((err as Error).message, new RegExp(`pid ${child.pid}`));
      return true;
    });
  } finally {
    child.kill('SIGKILL');
  }
});

test('a run SIGKILLed with a fault in place: the next run undoes it from the ledger', { timeout: 60_000 }, async () => {
  const dir = tmpDir();
  const worldFile = path.join(dir, 'world.json');
  const ledgerFile = path.join(dir, 'ledger.json');
  const world = new World(worldFile);
  const childSrc = path.join(dir, 'child.mts');
  fs.writeFileSync(
    childSrc,
    `
import { Ledger } from ${JSON.stringify(path.join(repo, 'chaos/ledger.ts'))};
import { planExperiment } from ${JSON.stringify(path.join(repo, 'chaos/plan.ts'))};
import { runExperiment } from ${JSON.stringify(path.join(repo, 'chaos/runner.ts'))};
import { World, worldFault, registryOf, experiment, fakeDeps } from ${JSON.stringify(path.join(here, 'chaos-fakes.ts'))};
const world = new World(${JSON.stringify(worldFile)});
const events: string[] = [];
const f = worldFault(world, events);
const inject = f.inject;
f.inject = async (ctx, e) => { const r = await inject(ctx, e); process.stdout.write('INJECTED ' + e.name + '\\n'); return r; };
const exp = experiment({ method: [
  { type: 'fault', fault: 'break', name: 'first', params: { target: 'api' } },
  { type: 'fault', fault: 'break', name: 'second', params: { target: 'node' }, holdMs: 600000 },
] });
const deps = fakeDeps(events, new Ledger(${JSON.stringify(ledgerFile)}));
await runExperiment(exp, planExperiment(exp, registryOf(f)), deps);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', childSrc], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child never injected: ${out} ${err}`)), 45_000);
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('INJECTED second')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL'); // no handler, no rollback: exactly what a crash leaves
  await exited;

  assert.deepEqual(world.read().broken, ['api', 'node'], 'the killed run left its faults in place');
  const ledger = new Ledger(ledgerFile);
  assert.deepEqual(ledger.read().map((r) => r.entry.name), ['first', 'second']);
  assert.equal(ledger.orphans().length, 2);

  const undone: string[] = [];
  const registry = registryOf(worldFault(world, undone));
  const results = await recoverLedger(
    ledger,
    async (rec) => registry.get(rec.entry.kind)!.undo({} as never, rec.entry),
    () => undefined,
  );
  assert.deepEqual(results.map((r) => [r.record.entry.name, r.ok]), [['second', true], ['first', true]], 'newest first');
  assert.deepEqual(undone, ['undo:second', 'undo:first']);
  assert.deepEqual(world.read().broken, []);
  assert.deepEqual(ledger.read(), []);
});

test('a record left "injecting" (killed between ledger write and inject) is undone too; a failing undo stays', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'ledger.json');
  const rec = (id: string, name: string, failUndo: boolean) => ({
    id, runId: 'r', pid: 2 ** 22 + 12345, dockerHost: 'x', status: 'injecting', at: '', entry: { kind: 'break', name, params: { target: name, failUndo } },
  });
  fs.writeFileSync(file, JSON.stringify({ version: 1, records: [rec('1', 'fine', false), rec('2', 'stuck', true)] }));
  const world = new World(path.join(dir, 'w.json'));
  const events: string[] = [];
  const f = worldFault(world, events);
  const ledger = new Ledger(file);
  const results = await recoverLedger(ledger, (r) => f.undo({} as never, r.entry), () => undefined);
  assert.deepEqual(results.map((r) => r.ok), [false, true]);
  assert.deepEqual(ledger.read().map((r) => r.entry.name), ['stuck']);
});
