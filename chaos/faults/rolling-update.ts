// A rolling update with the service's own update_config: new env and/or image, or just a forced
// task restart. Inject returns once Swarm reports the update completed (anything else fails the
// step). Undo restores the captured spec (another rolling update) unless it is already in place.
import { z } from 'zod';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import type { Fault } from './types.ts';
import { specFaultParts, specUpdateParams, updateSpec, type SpecEntry } from './spec.ts';

const schema = specUpdateParams.extend({
  image: z.string().min(1).optional(),
  /** bump ForceUpdate so tasks are replaced even when nothing else changed */
  force: z.boolean().default(true),
});
type Params = z.infer<typeof schema>;

export const rollingUpdate: Fault<Params, SpecEntry> = {
  ...specFaultParts<Params>('rolling-update'),
  kind: 'rolling-update',
  summary: "rolling update (env/image/forced restart) with the service's update_config; undo restores the spec",
  schema,
  describe: (p) => {
    const what = [
      ...Object.entries(p.env).map(([k, v]) => (v === null ? `unset ${k}` : `${k}=${v}`)),
      ...(p.image ? [`image ${p.image}`] : []),
    ];
    return `rolling update of ${p.service}${what.length ? ` (${what.join(', ')})` : ' (forced task replacement)'}; wait until completed; undo: restore the previous spec`;
  },
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    ctx.log(`rolling update of ${entry.service}`);
    const end = await updateSpec(ctx.swarm, entry.service, p, (spec, c) => {
      if (p.image) c.Image = p.image;
      if (p.force) spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    });
    entry.notes = { updateState: end.state, updateMs: end.ms, message: end.message };
    if (end.state !== 'completed') {
      throw new EnvironmentError(`rolling update of ${entry.service} ended ${end.state}: ${end.message ?? ''}`);
    }
    return entry;
  },
};
