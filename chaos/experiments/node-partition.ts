import { defineExperiment } from '../model.ts';
import { ALL_ROLES, NODE_TIMING, SILENT_NODE, STEADY } from './common.ts';

export default defineExperiment({
  id: 'node-partition',
  title: 'Cut a worker node off the network',
  description:
    'A worker that does not hold the DB primary loses its only network link (its container is disconnected from ' +
    'the network the nodes share): its tasks keep running, but neither the overlay nor the managers reach it, so to ' +
    'everyone else it is gone without a reset. Swarm marks it down after missed heartbeats and reschedules its tasks; ' +
    'until then the proxies\' timeouts and checks route around it. Undo reconnects it with the same address, and it ' +
    'rejoins: Swarm then shuts down the tasks it had replaced. Same tolerances as a frozen node.',
  targets: { services: ALL_ROLES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'partition', params: { mode: 'node' }, holdMs: 15_000 }],
  tolerances: SILENT_NODE,
  timing: NODE_TIMING,
});
