// The chaos run lock: one run at a time; a live holder is named in the refusal, a dead one's lock is
// taken over with a warning, and the lock goes away on every exit path (return, throw, process.exit
// after a second Ctrl-C).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SafetyError } from '../../scripts/lib/errors.ts';
import { acquireLock, defaultLockPath, isStale, readLock, withLock, type LockInfo } from '../../chaos/lock.ts';
import { tmpDir } from './chaos-fakes.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function writeLock(file: string, l: Partial<LockInfo>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ host: os.hostname(), command: 'npm run gameday', startedAt: '2025-01-01T10:00:00.000Z', token: 't', ...l }));
}

/** A process that is alive for the duration of a test. */
async function liveChild() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

test('the lock sits beside the ledger (GAMEDAY_LEDGER moves both)', () => {
  assert.equal(defaultLockPath('/x/state/ledger.json'), '/x/state/chaos.lock');
});

test('acquire writes pid, host, command and start time; release removes it, twice is harmless', () => {
  const file = path.join(tmpDir(), 'state', 'chaos.lock');
  const lock = acquireLock({ file, command: 'npm run chaos -- api-kill-task' });
  const on = readLock(file)!;
  assert.equal(on.pid, process.pid);
  assert.equal(on.host, os.hostname());
  assert.equal(on.command, 'npm run chaos -- api-kill-task');
  assert.ok(Math.abs(Date.parse(on.startedAt) - Date.now()) < 60_000, on.startedAt);
  assert.ok(fs.existsSync(path.join(path.dirname(file), '.gitignore')), 'run-time state, never committed');
  lock.release();
  assert.equal(fs.existsSync(file), false);
  lock.release();
  assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((f) => f !== '.gitignore'), [], 'no temp files left');
});

test('a lock held by a live run is refused (SafetyError, exit 4) naming its pid, command and start; the lock stays', async () => {
  const file = path.join(tmpDir(), 'chaos.lock');
  const child = await liveChild();
  try {
    writeLock(file, { pid: child.pid! });
    const before = fs.readFileSync(file, 'utf8');
    assert.throws(
      () => acquireLock({ file, command: 'npm run chaos -- --recover' }),
      (err: unknown) => {
        assert.ok(err instanceof SafetyError, String(err));
        assert.equal(err.exitCode, 4);
        assert.match(err.message, new RegExp(`another chaos run holds the lock .*pid ${child.pid} on ${os.hostname()}, "npm run gameday", started 2025-01-01T10:00:00.000Z`));
        assert.match(err.message, new RegExp(`kill ${child.pid}`));
        return true;
      },
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the holder keeps its lock');
  } finally {
    child.kill('SIGKILL');
  }
});

test('this very process holding the lock refuses a second acquire too', () => {
  const file = path.join(tmpDir(), 'chaos.lock');
  const lock = acquireLock({ file, command: 'first' });
  try {
    assert.throws(() => acquireLock({ file, command: 'second' }), /holds the lock .*"first"/);
  } finally {
    lock.release();
  }
});

test('a stale lock (its process is gone) is taken over with a warning', async () => {
  const file = path.join(tmpDir(), 'chaos.lock');
  const child = await liveChild();
  child.kill('SIGKILL');
  await once(child, 'exit');
  writeLock(file, { pid: child.pid! });
  const lines: string[] = [];
  const lock = acquireLock({ file, command: 'npm run chaos -- api-kill-task', log: (l) => lines.push(l) });
  try {
    assert.equal(readLock(file)!.pid, process.pid);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`took over a stale chaos lock \\(pid ${child.pid} .*"npm run gameday".*process gone\\)`));
  } finally {
    lock.release();
  }
  assert.equal(fs.existsSync(file), false);
});

test('an unreadable lock file is stale; a lock from another host is never judged stale from here', () => {
  const file = path.join(tmpDir(), 'chaos.lock');
  fs.writeFileSync(file, '{trunc');
  const lines: string[] = [];
  acquireLock({ file, command: 'c', log: (l) => lines.push(l) }).release();
  assert.match(lines[0] ?? '', /unreadable lock file/);

  const dead = () => false;
  assert.equal(isStale({ pid: 123, host: os.hostname(), command: 'c', startedAt: 's', token: 't' }, dead), true);
  assert.equal(isStale({ pid: 123, host: `not-${os.hostname()}`, command: 'c', startedAt: 's', token: 't' }, dead), false);
  writeLock(file, { pid: 123, host: `not-${os.hostname()}` });
  assert.throws(() => acquireLock({ file, command: 'c', alive: dead }), /taken on another host.*remove the file/);
});

test('release leaves a lock that is no longer ours alone', () => {
  const file = path.join(tmpDir(), 'chaos.lock');
  const lock = acquireLock({ file, command: 'c' });
  // e.g. an operator removed ours and another run took the lock since
  writeLock(file, { pid: process.pid, token: 'someone-else' });
  lock.release();
  assert.equal(readLock(file)?.token, 'someone-else');
});

test('withLock releases when the work throws', async () => {
  const file = path.join(tmpDir(), 'chaos.lock');
  await assert.rejects(
    withLock({ file, command: 'c' }, async () => {
      assert.ok(fs.existsSync(file), 'held while the work runs');
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(fs.existsSync(file), false);
});

test('a second Ctrl-C (process.exit from a signal handler) still releases the lock', { timeout: 60_000 }, async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'chaos.lock');
  const src = path.join(dir, 'child.mts');
  fs.writeFileSync(
    src,
    `
import { acquireLock } from ${JSON.stringify(path.join(repo, 'chaos/lock.ts'))};
import { leaveOnSignal } from ${JSON.stringify(path.join(repo, 'chaos/options.ts'))};
acquireLock({ file: ${JSON.stringify(file)}, command: 'child' });
leaveOnSignal((sig) => 'left on ' + sig);
process.stdout.write('ready\\n');
setTimeout(() => {}, 30000);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', src], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('ready') && resolve());
    child.on('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  assert.equal(readLock(file)?.pid, child.pid);
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, 130);
  assert.equal(fs.existsSync(file), false, 'the exit listener removed the lock');
});
