import { defineExperiment } from '../model.ts';
import { ALL_SERVICES, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'node-pause',
  title: 'Freeze a worker node (docker pause)',
  description:
    'Every process on a worker stops while its sockets stay open: peers see silence, not resets, so only timeouts ' +
    'and health checks can route around it. Undo unpauses it.',
  targets: { services: ALL_SERVICES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'pause-node', params: {}, holdMs: 10_000 }],
  tolerances: { minAvailability: 90, maxRecoveryMs: 120_000 },
  timing: { ...TIMING, recoveryTimeoutMs: 180_000 },
});
