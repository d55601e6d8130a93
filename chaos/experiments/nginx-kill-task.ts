import { defineExperiment } from '../model.ts';
import { ONE_TASK_LOST, ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'nginx-kill-task',
  title: 'Kill one API nginx task (SIGKILL)',
  description: 'One of the two nginx tasks in front of the API dies; HAProxy must notice and route around it.',
  targets: { services: [ROLE.apiNginx] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'kill-tasks', params: { service: ROLE.apiNginx, count: 1 }, holdMs: 10_000 }],
  tolerances: ONE_TASK_LOST,
  timing: TIMING,
});
