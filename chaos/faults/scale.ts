// Scale a service to N replicas (or by a delta) and wait until Swarm got there. Undo restores the
// replica count captured before. Scaling down is bounded by the blast radius.
import { z } from 'zod';
import { durationMs } from '../model.ts';
import { SafetyError, ConfigError } from '../../scripts/lib/errors.ts';
import { inspectService, servicesState, updateServiceSpec, waitFor } from '../swarm.ts';
import type { Fault, UndoEntry } from './types.ts';

const schema = z
  .object({
    service: z.string().min(1),
    replicas: z.number().int().nonnegative().optional(),
    delta: z.number().int().optional(),
    waitMs: durationMs().default(60_000),
  })
  .refine((p) => (p.replicas === undefined) !== (p.delta === undefined), { message: 'give exactly one of replicas or delta' });
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  service: string;
  previous: number;
  target: number;
}

async function setReplicas(ctx: Parameters<Fault['inject']>[0], service: string, n: number): Promise<void> {
  await updateServiceSpec(ctx.swarm, service, (spec) => {
    spec.Mode = { Replicated: { Replicas: n } };
    return spec;
  });
}

export const scale: Fault<Params, Entry> = {
  kind: 'scale',
  summary: 'scale a service up or down and wait for it; undo restores the replica count',
  needsHost: false,
  schema,
  describe: (p) =>
    `scale ${p.service} ${p.replicas !== undefined ? `to ${p.replicas}` : `by ${p.delta! > 0 ? '+' : ''}${p.delta}`} replicas; undo: restore the previous count`,
  targets: (p) => ({ services: [p.service], nodes: [] }),
  async prepare(ctx, p, name) {
    const svc = await inspectService(ctx.swarm, p.service);
    const previous: number | undefined = svc.Spec?.Mode?.Replicated?.Replicas;
    if (previous === undefined) throw new ConfigError(`scale: service ${p.service} is not replicated (global services cannot be scaled)`);
    const target = p.replicas ?? previous + (p.delta ?? 0);
    if (target < 0) throw new ConfigError(`scale: params.delta: ${p.delta} would leave ${target} replicas of ${p.service}`);
    const floor = Math.max(1, Math.ceil(previous * (1 - ctx.maxShare) - 1e-9));
    if (target < previous && target < floor) {
      throw new SafetyError(`blast radius: scaling ${p.service} from ${previous} to ${target} removes more than ${ctx.maxShare * 100}% of its tasks (minimum ${floor})`);
    }
    return { kind: 'scale', name, params: p, service: p.service, previous, target };
  },
  async inject(ctx, entry) {
    ctx.log(`scale ${entry.service} ${entry.previous} -> ${entry.target}`);
    await setReplicas(ctx, entry.service, entry.target);
    await waitFor(
      `${entry.service} to run ${entry.target} task(s)`,
      async () => {
        const [s] = await servicesState(ctx.swarm, [entry.service]);
        return s.running === entry.target && s.notRunning.length === 0 ? true : undefined;
      },
      { timeoutMs: entry.params.waitMs as number, intervalMs: 500 },
    );
    return entry;
  },
  async undo(ctx, entry) {
    const svc = await inspectService(ctx.swarm, entry.service);
    if (svc.Spec?.Mode?.Replicated?.Replicas !== entry.previous) {
      ctx.log(`scale ${entry.service} back to ${entry.previous}`);
      await setReplicas(ctx, entry.service, entry.previous);
    }
  },
};
