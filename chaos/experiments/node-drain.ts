import { defineExperiment } from '../model.ts';
import { ALL_ROLES, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'node-drain',
  title: 'Drain a worker node (maintenance)',
  description: 'A worker is drained: Swarm stops its tasks gracefully and starts them elsewhere. This must cost no request.',
  targets: { services: ALL_ROLES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'drain-node', params: {}, holdMs: 15_000 }],
  tolerances: { minAvailability: 99.5, maxOutageMs: 1000, maxRecoveryMs: 90_000 },
  timing: TIMING,
});
