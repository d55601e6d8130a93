import { defineExperiment } from '../model.ts';
import { ALL_ROLES, NODE_TIMING, STEADY } from './common.ts';

export default defineExperiment({
  id: 'worker-node-kill',
  title: 'Kill a worker node (power loss)',
  description:
    'A worker that does not hold the DB primary disappears. Swarm marks it down after missed heartbeats (~15 s) and ' +
    'reschedules its tasks. Until then its tasks stay in DNS and requests sent to them time out: the tolerance accepts a 20% dip ' +
    'during that window, not a blackout. Undo starts the node again.',
  targets: { services: ALL_ROLES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'kill-node', params: {}, holdMs: 20_000 }],
  tolerances: { minAvailability: 80, maxOutageMs: 10_000, maxRecoveryMs: 150_000 },
  timing: NODE_TIMING,
});
