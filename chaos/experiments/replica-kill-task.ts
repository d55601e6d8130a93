import { defineExperiment } from '../model.ts';
import { ONE_TASK_LOST, ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'replica-kill-task',
  title: 'Kill one DB replica task (SIGKILL)',
  description: 'One read replica dies; reads must go to the other one and the new replica must catch up.',
  targets: { services: [ROLE.replica] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'kill-tasks', params: { service: ROLE.replica, count: 1 }, holdMs: 10_000 }],
  tolerances: { ...ONE_TASK_LOST, maxRecoveryMs: 90_000 },
  timing: TIMING,
});
