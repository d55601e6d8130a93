import { defineExperiment } from '../model.ts';
import { SERVICES, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'api-netem-latency',
  title: 'Add 300 ms latency to one API task',
  description: 'tc netem delays every packet of one API task by 300 ms (±50 ms): slower, but no request may fail.',
  targets: { services: [SERVICES.api] },
  steadyState: STEADY,
  method: [
    { type: 'fault', fault: 'netem', params: { service: SERVICES.api, count: 1, delayMs: 300, jitterMs: 50 }, holdMs: 10_000 },
  ],
  tolerances: { minAvailability: 99, maxOutageMs: 3000 },
  timing: TIMING,
});
