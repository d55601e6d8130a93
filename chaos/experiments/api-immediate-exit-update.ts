import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-immediate-exit-update',
  title: 'Rolling update of an API that dies at once on SIGTERM',
  description:
    'The API is switched to TODO_EXIT_ON_SIGTERM=immediate (like an app without a signal handler), then rolled: each ' +
    'old task dies the moment it gets SIGTERM. Swarm removes a task from DNS ~2 s before signalling it and the proxies ' +
    're-resolve within that window, so on this stack users should see (almost) nothing; the figures say how much.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [
    { type: 'fault', fault: 'rolling-update', name: 'switch-to-immediate-exit', params: { service: ROLE.api, env: { TODO_EXIT_ON_SIGTERM: 'immediate' } } },
    { type: 'fault', fault: 'rolling-update', name: 'roll-immediate-exit-api', params: { service: ROLE.api, force: true }, holdMs: 2_000 },
  ],
  tolerances: { minAvailability: 99, maxOutageMs: 2000 },
  timing: TIMING,
});
