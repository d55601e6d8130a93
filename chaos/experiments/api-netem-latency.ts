import { defineExperiment } from '../model.ts';
import { SERVICES, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-netem-latency',
  title: "Degrade one API task's network (300 ms latency, or 5% loss without netem)",
  description:
    'tc netem delays every packet of one API task by 300 ms (±50 ms). On a kernel without sch_netem the fault drops 5% ' +
    'of its packets instead (TCP retransmits: 200 ms+ per lost segment, 1 s per lost SYN). Slower, but no request may fail.',
  targets: { services: [SERVICES.api] },
  steadyState: STEADY,
  method: [
    {
      type: 'fault',
      fault: 'netem',
      params: { service: SERVICES.api, count: 1, delayMs: 300, jitterMs: 50, fallbackLossPct: 5 },
      holdMs: 10_000,
    },
  ],
  tolerances: { minAvailability: 99, maxOutageMs: 3000 },
  timing: TIMING,
});
