// Hang a worker's container engine: `docker pause` of the node container alone. The nodes share
// the host's cgroup namespace, so the task containers are not inside the node's cgroup and keep
// running; what freezes is dockerd, containerd and the shims, and with dockerd the embedded DNS
// server (127.0.0.11) the node's tasks resolve service names with, and their log pipes once full.
// To the managers the node stops reporting, like a real daemon hang. Undo: unpause, wait until Ready.
// Through the agent (any swarm): the same processes are SIGSTOPped in the node's pid namespace (on a
// real host: its Docker engine; on a dind node: the node's own), by a guard on the node that
// SIGCONTs them at the fault's time.
import { hostNodeFault } from './host-node.ts';
import { ENGINE_CONT, ENGINE_STOP } from './node-guard.ts';

export const hangEngine = hostNodeFault({
  kind: 'hang-engine',
  summary: "hang a worker's container engine (docker pause of the node container only: its tasks keep running without DNS); undo: unpause, wait until Ready",
  verb: 'hang the engine of',
  how: 'docker pause of the node container alone: its tasks keep running',
  undoText: "undo: docker unpause (the node's engine), wait until Ready",
  act: (c) => c.pause(),
  agent: {
    how: 'SIGSTOP of dockerd, containerd and the shims in the host pid namespace',
    act: () => ENGINE_STOP,
    undo: () => ENGINE_CONT,
  },
});
