import { defineExperiment } from '../model.ts';
import { ONE_TASK_LOST, ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-kill-task',
  title: 'Kill one API task (SIGKILL)',
  description: 'One of the two API tasks dies without warning; the proxies must route around it while Swarm replaces it.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'kill-tasks', params: { service: ROLE.api, count: 1 }, holdMs: 10_000 }],
  tolerances: ONE_TASK_LOST,
  timing: TIMING,
});
