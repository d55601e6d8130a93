import { defineExperiment } from '../model.ts';
import { ROLE, STEADY, TIMING } from './common.ts';

export default defineExperiment({
  id: 'network-partition',
  title: 'Cut one API task off the network',
  description:
    'All non-loopback traffic of one API task is dropped (iptables in its namespace): it stays "healthy" to Swarm ' +
    '(its healthcheck runs locally) but nobody can reach it. Only the proxies\' timeouts and checks protect users.',
  targets: { services: [ROLE.api] },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'partition', params: { mode: 'task', service: ROLE.api, count: 1 }, holdMs: 10_000 }],
  tolerances: { minAvailability: 95, maxRecoveryMs: 90_000 },
  timing: TIMING,
});
