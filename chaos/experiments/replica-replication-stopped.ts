import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'replica-replication-stopped',
  title: 'Stop replication on one replica (STOP SLAVE)',
  description:
    'One replica stops applying the primary\'s changes while still answering reads, ever staler. The lag sampler must ' +
    'report it as lagging; the undo runs START SLAVE and it must catch up.',
  targets: { services: [ROLE.replica] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'stop-replication', params: { service: ROLE.replica, count: 1 }, holdMs: 8_000 }],
  tolerances: { expectLagging: true, laggingAboveMs: 2000, minAvailability: 99 },
  timing: TIMING,
});
