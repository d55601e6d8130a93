// Fakes for the chaos unit tests: a "world" whose state faults change (so an undo can be checked),
// fault kinds that act on it, a measurement tagger, a steady-state check and a watcher.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Watcher } from '../../chaos/convergence.ts';
import type { FaultRegistry } from '../../chaos/faults/index.ts';
import type { ChaosContext, Fault, UndoEntry } from '../../chaos/faults/types.ts';
import { Ledger } from '../../chaos/ledger.ts';
import { defineExperiment, type ExperimentInput } from '../../chaos/model.ts';
import type { ExperimentDeps } from '../../chaos/runner.ts';

/** The state the fake faults break and heal: a JSON file, so a child process can share it. */
export class World {
  constructor(readonly file: string) {
    if (!fs.existsSync(file)) this.write({ broken: [] });
  }
  read(): { broken: string[] } {
    return JSON.parse(fs.readFileSync(this.file, 'utf8')) as { broken: string[] };
  }
  write(s: { broken: string[] }): void {
    fs.writeFileSync(this.file, JSON.stringify(s));
  }
  break(name: string): void {
    const s = this.read();
    s.broken.push(name);
    this.write(s);
  }
  heal(name: string): void {
    const s = this.read();
    s.broken = s.broken.filter((b) => b !== name);
    this.write(s);
  }
}

export function tmpDir(prefix = 'chaos-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const params = z.object({ target: z.string().default('x'), failInject: z.boolean().default(false), failUndo: z.boolean().default(false) });
type P = z.infer<typeof params>;

/** A fault on the World; every call is recorded in `events`. */
export function worldFault(world: World, events: string[], kind = 'break'): Fault<P, UndoEntry> {
  return {
    kind,
    summary: 'breaks a thing in the fake world',
    needsHost: false,
    schema: params,
    describe: (p) => `break ${p.target}`,
    targets: () => ({ services: [], nodes: [] }),
    async prepare(_ctx, p, name) {
      events.push(`prepare:${name}`);
      return { kind, name, params: p, target: p.target };
    },
    async inject(_ctx, entry) {
      events.push(`inject:${entry.name}`);
      world.break(entry.target as string);
      if (entry.params.failInject) throw new Error(`inject of ${entry.name} failed`);
      return { ...entry, notes: { injected: true } };
    },
    async undo(_ctx, entry) {
      events.push(`undo:${entry.name}`);
      if (entry.params.failUndo) throw new Error(`undo of ${entry.name} failed`);
      world.heal(entry.target as string);
    },
  };
}

export function registryOf(...fs: Fault<any, any>[]): FaultRegistry {
  return new Map(fs.map((f) => [f.kind, f as Fault]));
}

export function fakeCtx(log: string[] = []): ChaosContext {
  return { swarm: {} as never, dockerHost: 'tcp://fake:2375', maxShare: 0.5, allowManager: false, log: (l) => log.push(l) };
}

export function experiment(over: Partial<ExperimentInput> = {}) {
  return defineExperiment({
    id: 'fake-exp',
    title: 'fake',
    method: [{ type: 'fault', fault: 'break', params: { target: 'a' }, holdMs: 5 }],
    timing: { beforeMs: 5, afterMs: 5, recoveryTimeoutMs: 200 },
    ...over,
  });
}

export interface FakeDeps extends ExperimentDeps {
  events: string[];
  faultTags: (string | undefined)[];
  ac: AbortController;
}

export function fakeDeps(events: string[], ledger: Ledger, opts: { steady?: (phase: number) => boolean; safety?: () => Promise<void> } = {}): FakeDeps {
  const ac = new AbortController();
  const faultTags: (string | undefined)[] = [];
  let steadyCalls = 0;
  const watcher: Watcher = { latest: () => [], stop: async () => [] };
  return {
    events,
    faultTags,
    ac,
    ctx: fakeCtx(),
    ledger,
    runId: 'test-run',
    measurements: {
      setFault: (n) => {
        faultTags.push(n);
        events.push(`tag:${n ?? '-'}`);
      },
    },
    steadyState: async () => {
      const n = steadyCalls++;
      events.push(`steady:${n}`);
      const ok = opts.steady ? opts.steady(n) : true;
      return { ok, details: [ok ? 'fine' : 'broken'] };
    },
    safety: opts.safety ?? (async () => void events.push('safety')),
    watch: () => {
      events.push('watch');
      return watcher;
    },
    onPhase: (p) => events.push(`phase:${p}`),
    signal: ac.signal,
    pollMs: 10,
  };
}
