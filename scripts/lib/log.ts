// Progress lines on stderr, so stdout stays clean for machine-readable output.
import pc from 'picocolors';

export function step(msg: string): void {
  process.stderr.write(`${pc.cyan('»')} ${msg}\n`);
}
export function info(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}
export function warn(msg: string): void {
  process.stderr.write(`${pc.yellow('!')} ${msg}\n`);
}
export function ok(msg: string): void {
  process.stderr.write(`${pc.green('✓')} ${msg}\n`);
}

/** Runs fn, printing how long it took: every setup step says what it does and for how long. */
export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  step(`${label} …`);
  const result = await fn();
  ok(`${label} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
