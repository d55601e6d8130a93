import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-netem-latency',
  title: "Add 100 ms (±20 ms) latency to one API task's network",
  description:
    'Every packet of one of the two API tasks is delayed by 100 ms ± 20 ms (tc netem, or gameday-netdelay on kernels ' +
    'without sch_netem), so each request it serves takes several round trips longer (nginx connection, request, DB ' +
    'query: ~0.4 s). Requests get slower (the verdict checks that they do: the fault must be visible), but none may ' +
    'fail. At 300 ms the same app times out: its DB pool fills up while every query waits three times as long.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [
    {
      type: 'fault',
      fault: 'netem',
      params: { service: ROLE.api, count: 1, delayMs: 100, jitterMs: 20, maxDurationS: 300 },
      holdMs: 10_000,
    },
  ],
  tolerances: { minAvailability: 99, maxOutageMs: 3000, expectSlowerByMs: 100 },
  timing: TIMING,
});
