import { defineExperiment } from '../model.ts';
import { SERVICES, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-bad-update',
  title: 'Rolling update of an API that dies at once on SIGTERM (deliberately bad)',
  description:
    'The API is first switched to TODO_EXIT_ON_SIGTERM=immediate (like an app without a signal handler), then rolled: ' +
    'each old task is cut off mid-request while the proxies still send to it. The verdict must REPORT this downtime ' +
    'with its length; the undo restores the good variant.',
  targets: { services: [SERVICES.api] },
  steadyState: STEADY,
  method: [
    {
      type: 'fault',
      fault: 'rolling-update',
      name: 'switch-to-immediate-exit',
      params: { service: SERVICES.api, env: { TODO_EXIT_ON_SIGTERM: 'immediate' } },
    },
    { type: 'fault', fault: 'rolling-update', name: 'roll-immediate-exit-api', params: { service: SERVICES.api, env: { GAMEDAY_ROLLOUT: 'bad' } }, holdMs: 2_000 },
  ],
  tolerances: { expectDowntime: true, maxRecoveryMs: 180_000 },
  timing: TIMING,
});
