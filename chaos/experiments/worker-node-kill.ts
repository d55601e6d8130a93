import { defineExperiment } from '../model.ts';
import { ALL_SERVICES, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'worker-node-kill',
  title: 'Kill a worker node (power loss)',
  description:
    'A worker that does not hold the DB primary disappears. Swarm marks it down after missed heartbeats (~15 s) and ' +
    'reschedules its tasks; meanwhile the proxies must stop sending to its tasks. Undo starts the node again.',
  targets: { services: ALL_SERVICES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'kill-node', params: {}, holdMs: 20_000 }],
  tolerances: { minAvailability: 95, maxRecoveryMs: 150_000 },
  timing: { ...TIMING, recoveryTimeoutMs: 180_000 },
});
