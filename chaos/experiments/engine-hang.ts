import { defineExperiment } from '../model.ts';
import { ALL_ROLES, NODE_TIMING, SILENT_NODE, STEADY } from './common.ts';

export default defineExperiment({
  id: 'engine-hang',
  title: "Hang a worker's container engine (dockerd and containerd freeze, tasks keep running)",
  description:
    'A classic production failure: the Docker daemon of a worker hangs while its containers keep running. The node ' +
    'stops reporting to the managers, who mark it down and start replacements elsewhere; its tasks still answer, but ' +
    'they resolve service names through the hung daemon (127.0.0.11), so their lookups time out: an nginx there ' +
    'answers 502 once its 2 s DNS cache expires, and HAProxy re-sends reads and keyed writes that got a 502 to ' +
    'another nginx (seen here: 88% availability without that retry, 91-99% in five runs with it). Undo unpauses the engine; ' +
    'Swarm then stops the tasks it had replaced.',
  targets: { services: ALL_ROLES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'hang-engine', params: {}, holdMs: 20_000 }],
  tolerances: { ...SILENT_NODE, minAvailability: 80 },
  timing: NODE_TIMING,
});
