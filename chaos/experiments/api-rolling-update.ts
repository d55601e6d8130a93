import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-rolling-update',
  title: 'Rolling update of the API (known good)',
  description:
    "Every API task is replaced with the service's own update_config (and replaced back by the undo). The API drains " +
    'on SIGTERM, so this must be zero-downtime: not one failed request.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'rolling-update', params: { service: ROLE.api, env: { GAMEDAY_ROLLOUT: 'chaos' } }, holdMs: 2_000 }],
  tolerances: { minAvailability: 100, maxOutageMs: 0 },
  timing: TIMING,
});
