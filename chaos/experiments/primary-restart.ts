import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'primary-restart',
  title: 'Crash the DB primary',
  description:
    'The primary is SIGKILLed; Swarm restarts it on its node with its volume. Writes fail meanwhile (that outage is ' +
    'measured and bounded); reads keep going to the replicas; no acknowledged write may be lost.',
  targets: { services: [ROLE.primary] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'restart-primary', params: { service: ROLE.primary }, holdMs: 5_000 }],
  tolerances: { availabilityOf: 'reads', minAvailability: 99, maxWriteOutageMs: 90_000, maxRecoveryMs: 120_000 },
  timing: TIMING,
});
