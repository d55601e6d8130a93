// The one registry of experiments: one file each, listed here.
import { ConfigError } from '../../scripts/lib/errors.ts';
import type { Experiment } from '../model.ts';
import apiKillTask from './api-kill-task.ts';
import webKillTask from './web-kill-task.ts';
import nginxKillTask from './nginx-kill-task.ts';
import replicaKillTask from './replica-kill-task.ts';
import workerNodeKill from './worker-node-kill.ts';
import nodePause from './node-pause.ts';
import engineHang from './engine-hang.ts';
import nodeDrain from './node-drain.ts';
import apiScale from './api-scale.ts';
import apiRollingUpdate from './api-rolling-update.ts';
import apiBadUpdate from './api-bad-update.ts';
import apiImmediateExitUpdate from './api-immediate-exit-update.ts';
import apiUpdateRollback from './api-update-rollback.ts';
import primaryRestart from './primary-restart.ts';
import replicaReplicationStopped from './replica-replication-stopped.ts';
import networkPartition from './network-partition.ts';
import nodePartition from './node-partition.ts';
import apiNetemLatency from './api-netem-latency.ts';

export const experiments: ReadonlyMap<string, Experiment> = new Map(
  [
    apiKillTask,
    webKillTask,
    nginxKillTask,
    replicaKillTask,
    workerNodeKill,
    nodePause,
    engineHang,
    nodeDrain,
    apiScale,
    apiRollingUpdate,
    apiBadUpdate,
    apiImmediateExitUpdate,
    apiUpdateRollback,
    primaryRestart,
    replicaReplicationStopped,
    networkPartition,
    nodePartition,
    apiNetemLatency,
  ].map((e) => [e.id, e]),
);

export function getExperiment(id: string, where = 'experiment'): Experiment {
  const e = experiments.get(id);
  if (!e) throw new ConfigError(`${where}: expected one of ${[...experiments.keys()].join(', ')}, got ${JSON.stringify(id)}`);
  return e;
}
