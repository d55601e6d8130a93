// A rolling update with the service's own update_config: new env and/or image, or just a forced
// task restart. Inject returns once Swarm reports the update completed (anything else fails the
// step). Undo restores the captured spec (another rolling update) unless it is already in place.
import { z } from 'zod';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { inspectService } from '../swarm.ts';
import type { Fault, UndoEntry } from './types.ts';
import { restoreSpec, sendSpec, setEnv, waitUpdateSettled } from './spec.ts';

const schema = z.object({
  service: z.string().min(1),
  /** env vars to set (null removes one) */
  env: z.record(z.string(), z.string().nullable()).default({}),
  image: z.string().min(1).optional(),
  /** bump ForceUpdate so tasks are replaced even when nothing else changed */
  force: z.boolean().default(true),
  timeoutMs: z.number().int().positive().default(180_000),
});
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  service: string;
  previous: any;
}

export const rollingUpdate: Fault<Params, Entry> = {
  kind: 'rolling-update',
  summary: "rolling update (env/image/forced restart) with the service's update_config; undo restores the spec",
  needsHost: false,
  schema,
  describe: (p) => {
    const what = [
      ...Object.entries(p.env).map(([k, v]) => (v === null ? `unset ${k}` : `${k}=${v}`)),
      ...(p.image ? [`image ${p.image}`] : []),
    ];
    return `rolling update of ${p.service}${what.length ? ` (${what.join(', ')})` : ' (forced task replacement)'}; wait until completed; undo: restore the previous spec`;
  },
  targets: (p) => ({ services: [p.service], nodes: [] }),
  async prepare(ctx, p, name) {
    const svc = await inspectService(ctx.swarm, p.service);
    return { kind: 'rolling-update', name, params: p, service: p.service, previous: svc.Spec };
  },
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    const svc = await inspectService(ctx.swarm, entry.service);
    const since = svc.UpdateStatus?.StartedAt;
    const spec = structuredClone(svc.Spec);
    const c = spec.TaskTemplate.ContainerSpec;
    c.Env = setEnv(c.Env, p.env);
    if (p.image) c.Image = p.image;
    if (p.force) spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    ctx.log(`rolling update of ${entry.service}`);
    const t0 = Date.now();
    const ours = await sendSpec(ctx.swarm, svc.ID, svc.Version.Index, spec);
    const end = await waitUpdateSettled(ctx.swarm, entry.service, since, p.timeoutMs, ours);
    entry.notes = { updateState: end.state, updateMs: Date.now() - t0, message: end.message };
    if (end.state !== 'completed') {
      throw new EnvironmentError(`rolling update of ${entry.service} ended ${end.state}: ${end.message ?? ''}`);
    }
    return entry;
  },
  async undo(ctx, entry) {
    await restoreSpec(ctx.swarm, entry.service, entry.previous, ctx.log);
  },
};
