import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-bad-update',
  title: 'Roll out a broken API release (deliberately bad: the healthcheck does not catch it)',
  description:
    'A rolling update ships an API whose database user is wrong. Its Docker healthcheck is liveness only (/livez), so ' +
    'Swarm calls every new task healthy and finishes the rollout while users get errors. The verdict must REPORT this ' +
    'downtime with its length; the undo rolls the good release back out. (TODO_EXIT_ON_SIGTERM=immediate is measured ' +
    'by api-immediate-exit-update: on this stack Swarm\'s DNS removal before SIGTERM hides it.)',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [
    {
      type: 'fault',
      fault: 'rolling-update',
      name: 'broken-release',
      params: { service: ROLE.api, env: { TODO_DB_USER: 'gameday_no_such_user' } },
      holdMs: 3_000,
    },
  ],
  tolerances: { expectDowntime: true },
  timing: TIMING,
});
