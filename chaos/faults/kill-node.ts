// Kill a worker node: SIGKILL its container on the host. Swarm marks it down after missed
// heartbeats and reschedules its tasks. Undo: start the container again and wait until Ready.
import { hostNodeFault } from './host-node.ts';

export const killNode = hostNodeFault({
  kind: 'kill-node',
  summary: 'kill a worker node container on the host (power loss); undo: start it and wait until Ready',
  verb: 'kill',
  undoText: 'undo: docker start, wait until the node is Ready',
  act: (c) => c.kill({ signal: 'SIGKILL' }),
});
