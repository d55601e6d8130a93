// Loads k6-side modules (load/lib, load/scenarios) in Node for unit tests: esbuild bundles the
// module with every `k6*` import aliased to a fake (load/testing/fakes) and Date.now bound to a
// virtual clock, so time-dependent code (read-your-writes polling) runs instantly and exactly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { FakeK6, FakeRequest, FakeResponse } from './fakes/state.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fakeFile = (n: string) => path.join(here, 'fakes', `${n}.ts`);

export type { FakeK6, FakeRequest, FakeResponse };

export interface ShimOptions {
  env?: Record<string, string>;
  handler?: (req: FakeRequest) => FakeResponse;
  startMs?: number;
}

let counter = 0;

/** Fresh fake state + the module at `entry` (absolute or relative to load/), bundled against the fakes. */
export async function loadK6Module<T = Record<string, unknown>>(entry: string, opts: ShimOptions = {}): Promise<{ mod: T; k6: FakeK6 }> {
  const k6: FakeK6 = {
    env: { ...(opts.env ?? {}) },
    now: opts.startMs ?? 1_700_000_000_000,
    handler: opts.handler ?? (() => ({ status: 404, body: '{"status":404,"message":"no handler"}' })),
    requests: [],
    checks: [],
    samples: [],
    sleeps: [],
    vu: { idInTest: 1, iterationInScenario: 0 },
  };
  globalThis.__k6fake = k6;
  (globalThis as Record<string, unknown>).__ENV = k6.env;
  (globalThis as Record<string, unknown>).__k6fakeNow = () => globalThis.__k6fake?.now ?? 0;
  const abs = path.isAbsolute(entry) ? entry : path.join(here, '..', entry);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k6-shim-'));
  const outfile = path.join(outDir, `mod-${process.pid}-${counter++}.mjs`);
  await build({
    entryPoints: [abs],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
    alias: {
      k6: fakeFile('k6'),
      'k6/http': fakeFile('k6-http'),
      'k6/metrics': fakeFile('k6-metrics'),
      'k6/execution': fakeFile('k6-execution'),
      'k6/browser': fakeFile('k6-browser'),
    },
    define: { 'Date.now': 'globalThis.__k6fakeNow' },
  });
  try {
    const mod = (await import(pathToFileURL(outfile).href)) as T;
    return { mod, k6 };
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

/** A JSON response for fake handlers. */
export function json(status: number, body: unknown, latencyMs = 1): FakeResponse {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, latencyMs };
}
