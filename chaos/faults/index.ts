// The one registry of faults. A fault kind not listed here does not exist.
import { ConfigError } from '../../scripts/lib/errors.ts';
import type { Fault } from './types.ts';
import { killTasks } from './kill-tasks.ts';
import { killNode } from './kill-node.ts';
import { pauseNode } from './pause-node.ts';
import { hangEngine } from './hang-engine.ts';
import { drainNode } from './drain-node.ts';
import { scale } from './scale.ts';
import { rollingUpdate } from './rolling-update.ts';
import { badUpdate } from './bad-update.ts';
import { restartPrimary } from './restart-primary.ts';
import { partition } from './partition.ts';
import { netem } from './netem.ts';
import { stopReplication } from './stop-replication.ts';

export type FaultRegistry = ReadonlyMap<string, Fault>;

export const faults: FaultRegistry = new Map<string, Fault>(
  [killTasks, killNode, pauseNode, hangEngine, drainNode, scale, rollingUpdate, badUpdate, restartPrimary, partition, netem, stopReplication].map(
    (f) => [f.kind, f as Fault],
  ),
);

export function getFault(registry: FaultRegistry, kind: string, where: string): Fault {
  const f = registry.get(kind);
  if (!f) throw new ConfigError(`${where}: fault: expected one of ${[...registry.keys()].join(', ')}, got ${JSON.stringify(kind)}`);
  return f;
}
