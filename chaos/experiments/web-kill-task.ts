import { defineExperiment } from '../model.ts';
import { ONE_TASK_LOST, ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'web-kill-task',
  title: 'Kill one web frontend task (SIGKILL)',
  description: 'One of the two server-rendering web tasks dies; the frontend nginx must route around it.',
  targets: { services: [ROLE.web] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'kill-tasks', params: { service: ROLE.web, count: 1 }, holdMs: 10_000 }],
  tolerances: ONE_TASK_LOST,
  timing: TIMING,
});
