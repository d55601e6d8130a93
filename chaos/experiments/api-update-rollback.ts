import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-update-rollback',
  title: 'Broken API update that Swarm must roll back',
  description:
    'An update whose tasks never get healthy (a healthcheck that always fails), with failure_action=rollback: Swarm ' +
    'must stop it and roll back by itself, and the old tasks keep serving meanwhile.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'bad-update', params: { service: ROLE.api, mode: 'healthcheck' } }],
  tolerances: { expectRollback: true, minAvailability: 99 },
  timing: TIMING,
});
