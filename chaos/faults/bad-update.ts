// A deliberately broken update that Swarm must refuse: tasks that never get healthy (or exit at
// once), with failure_action=rollback. Inject waits for the update state machine and records
// whether Swarm rolled back by itself; undo restores the spec if it did not.
import { z } from 'zod';
import { inspectService } from '../swarm.ts';
import type { Fault, UndoEntry } from './types.ts';
import { restoreSpec, sendSpec, setEnv, waitUpdateSettled } from './spec.ts';

const SEC = 1_000_000_000;

const schema = z.object({
  service: z.string().min(1),
  /** healthcheck: a healthcheck that always fails; command: a command that exits 3; env: only env */
  mode: z.enum(['healthcheck', 'command', 'env']).default('healthcheck'),
  env: z.record(z.string(), z.string().nullable()).default({}),
  /** update_config.monitor for this update: how long a new task is watched for failure */
  monitorMs: z.number().int().positive().default(5000),
  timeoutMs: z.number().int().positive().default(180_000),
});
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  service: string;
  previous: any;
}

export const badUpdate: Fault<Params, Entry> = {
  kind: 'bad-update',
  summary: 'an update that must fail (broken healthcheck/command) and be rolled back by Swarm; undo restores the spec if not',
  needsHost: false,
  schema,
  describe: (p) =>
    `bad update of ${p.service} (${p.mode === 'healthcheck' ? 'healthcheck that always fails' : p.mode === 'command' ? 'command that exits 3' : 'env only'}` +
    `${Object.keys(p.env).length ? `, ${Object.entries(p.env).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}) with failure_action=rollback; ` +
    'expect Swarm to roll it back; undo: restore the previous spec if it did not',
  targets: (p) => ({ services: [p.service], nodes: [] }),
  async prepare(ctx, p, name) {
    const svc = await inspectService(ctx.swarm, p.service);
    return { kind: 'bad-update', name, params: p, service: p.service, previous: svc.Spec };
  },
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    const svc = await inspectService(ctx.swarm, entry.service);
    const since = svc.UpdateStatus?.StartedAt;
    const spec = structuredClone(svc.Spec);
    const c = spec.TaskTemplate.ContainerSpec;
    c.Env = setEnv(c.Env, p.env);
    if (p.mode === 'healthcheck') {
      c.Healthcheck = { Test: ['CMD-SHELL', 'exit 1'], Interval: 1 * SEC, Timeout: 1 * SEC, Retries: 1, StartPeriod: 0 };
    } else if (p.mode === 'command') {
      c.Command = ['/bin/sh', '-c', 'echo "gameday: deliberately broken task" >&2; exit 3'];
      c.Args = [];
    }
    spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    spec.UpdateConfig = {
      Parallelism: 1,
      Order: 'stop-first',
      ...spec.UpdateConfig,
      FailureAction: 'rollback',
      Monitor: p.monitorMs * 1_000_000,
      MaxFailureRatio: 0,
    };
    ctx.log(`bad update of ${entry.service} (${p.mode})`);
    const t0 = Date.now();
    const ours = await sendSpec(ctx.swarm, svc.ID, svc.Version.Index, spec);
    const end = await waitUpdateSettled(ctx.swarm, entry.service, since, p.timeoutMs, ours);
    entry.notes = { updateState: end.state, rolledBack: end.state === 'rollback_completed', settleMs: Date.now() - t0, message: end.message };
    ctx.log(`bad update of ${entry.service}: ${end.state}${end.message ? ` (${end.message})` : ''}`);
    return entry;
  },
  async undo(ctx, entry) {
    await restoreSpec(ctx.swarm, entry.service, entry.previous, ctx.log);
  },
};
