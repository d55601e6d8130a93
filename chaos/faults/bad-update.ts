// A deliberately broken update that Swarm must refuse: tasks that never get healthy (or exit at
// once), with failure_action=rollback. Inject waits for the update state machine and records
// whether Swarm rolled back by itself; undo restores the spec if it did not.
import { z } from 'zod';
import { durationMs, MAX_DURATION_MS } from '../model.ts';
import type { Fault } from './types.ts';
import { specFaultParts, specUpdateParams, updateSpec, type SpecEntry } from './spec.ts';

const SEC = 1_000_000_000;

const schema = specUpdateParams.extend({
  /** healthcheck: a healthcheck that always fails; command: a command that exits 3; env: only env */
  mode: z.enum(['healthcheck', 'command', 'env']).default('healthcheck'),
  /** update_config.monitor for this update: how long a new task is watched for failure */
  monitorMs: durationMs(MAX_DURATION_MS, 1).default(5000),
});
type Params = z.infer<typeof schema>;

export const badUpdate: Fault<Params, SpecEntry> = {
  ...specFaultParts<Params>('bad-update'),
  kind: 'bad-update',
  summary: 'an update that must fail (broken healthcheck/command) and be rolled back by Swarm; undo restores the spec if not',
  schema,
  describe: (p) =>
    `bad update of ${p.service} (${p.mode === 'healthcheck' ? 'healthcheck that always fails' : p.mode === 'command' ? 'command that exits 3' : 'env only'}` +
    `${Object.keys(p.env).length ? `, ${Object.entries(p.env).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}) with failure_action=rollback; ` +
    'expect Swarm to roll it back; undo: restore the previous spec if it did not',
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    ctx.log(`bad update of ${entry.service} (${p.mode})`);
    const end = await updateSpec(ctx.swarm, entry.service, p, (spec, c) => {
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
    });
    entry.notes = { updateState: end.state, rolledBack: end.state === 'rollback_completed', settleMs: end.ms, message: end.message };
    ctx.log(`bad update of ${entry.service}: ${end.state}${end.message ? ` (${end.message})` : ''}`);
    return entry;
  },
};
