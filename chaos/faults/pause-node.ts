// Freeze a node (docker pause on the host: every process stops, sockets stay open). Unlike a kill,
// peers see silence rather than resets. Undo: unpause and wait until Ready.
import { hostNodeFault } from './host-node.ts';

export const pauseNode = hostNodeFault({
  kind: 'pause-node',
  summary: 'freeze a worker node container (docker pause); undo: unpause and wait until Ready',
  verb: 'pause',
  undoText: 'undo: docker unpause',
  act: (c) => c.pause(),
});
