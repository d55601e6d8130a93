import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-scale',
  title: 'Scale the API up and back down',
  description: 'Two more API tasks join (they must be picked up) and leave again (gracefully): no request may fail.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'scale', params: { service: ROLE.api, delta: 2 }, holdMs: 8_000 }],
  tolerances: { minAvailability: 99.5, maxOutageMs: 1000, maxRecoveryMs: 60_000 },
  timing: TIMING,
});
