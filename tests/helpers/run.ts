// Test helpers: run an npm script or a CLI as a user would, and make bounded HTTP requests.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after } from 'node:test';
import { cpuShare, cpuTimes, type CpuShare } from './cpu.ts';

export const repoRoot = path.resolve(new URL('../../', import.meta.url).pathname);

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** the machine's CPU over the run: how much the hypervisor took (steal), how much was idle */
  cpu?: CpuShare;
}

/** Runs `npx tsx <script> ...args` (what the npm scripts do) in the repo, bounded in time. */
export function runTsx(script: string, args: string[] = [], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return runCommand('npx', ['tsx', script, ...args], opts);
}

// Every command a test starts runs in its own process group and is tracked: a test that fails or
// times out must not leave a chaos run or a load going while the next test file runs (on one
// shared 2-core swarm that fails everything after it). When a file's tests are done, what is still
// running gets SIGINT (chaos rolls back), then SIGKILL; the process exit kills any group left.
const live = new Set<ChildProcess>();

/** Tracks a child spawned with `detached: true` (its own process group). */
export function track<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once('close', () => live.delete(child));
  return child;
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, sig);
  } catch {
    /* gone already */
  }
}

/** SIGINT to each tracked group still running, then SIGKILL to those not gone within graceMs. */
export async function stopStrays(graceMs = 90_000): Promise<void> {
  const left = [...live].filter((c) => c.exitCode === null && c.signalCode === null);
  if (!left.length) return;
  process.stderr.write(`test helpers: stopping ${left.length} command(s) a test left running\n`);
  for (const c of left) signalGroup(c, 'SIGINT');
  // a tracked child leaves `live` on 'close': each of these is still to close
  const closed = Promise.all(left.map((c) => new Promise((r) => c.once('close', r))));
  await Promise.race([closed, new Promise((r) => setTimeout(r, graceMs).unref())]);
  for (const c of left) signalGroup(c, 'SIGKILL');
}

after(() => stopStrays());
process.once('exit', () => {
  for (const c of live) signalGroup(c, 'SIGKILL');
});

export function runCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  const t0 = performance.now();
  const cpu0 = cpuTimes();
  return new Promise((resolve) => {
    const child = track(spawn(cmd, args, { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (process.env.GAMEDAY_TEST_VERBOSE) process.stderr.write(d);
    });
    // out of time: SIGINT to the whole group (npx, tsx and the command: chaos rolls back), SIGKILL after 60 s
    let hard: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      signalGroup(child, 'SIGINT');
      hard = setTimeout(() => signalGroup(child, 'SIGKILL'), 60_000);
    }, opts.timeoutMs ?? 15 * 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hard);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, cpu: cpuShare(cpu0, cpuTimes()) });
    });
  });
}

export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<{ status: number; body: string; json?: any; headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  const body = await res.text();
  let json: any;
  try {
    json = JSON.parse(body);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, json, headers: res.headers };
}

/** Polls fn until it returns a truthy value, bounded by timeoutMs. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}
