// Fake of the `k6` module: check() and sleep() record into the shared state; sleep advances the
// virtual clock instead of waiting.
import { fake } from './state.ts';

export function check<T>(val: T, sets: Record<string, (v: T) => unknown>, tags?: Record<string, string>): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = !!fn(val);
    fake().checks.push({ name, ok, tags: { ...(tags ?? {}) } });
    all &&= ok;
  }
  return all;
}

export function sleep(seconds: number): void {
  fake().sleeps.push(seconds);
  fake().now += seconds * 1000;
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function fail(msg?: string): never {
  throw new Error(msg ?? 'fail()');
}

export default { check, sleep, group, fail };
