// Replication state of every running DB replica task, read with `tododb-lag` inside the task
// (through its node) and parsed with the measurement's parser, so steady state and lag samples
// agree on what "running" means.
import type Dockerode from 'dockerode';
import { parseLagLine } from './measure/lag-parse.ts';
import { DB_SERVICES, runningTaskContainers } from './measure/db-tasks.ts';
import type { NodeExec } from './faults/types.ts';
import type { ReplicaStatus } from './steady-state.ts';

export async function replicationStatus(swarm: Dockerode, nodeExec: NodeExec, service: string = DB_SERVICES.replica): Promise<ReplicaStatus[]> {
  const tasks = await runningTaskContainers(swarm, service);
  return Promise.all(
    tasks.map(async (t) => {
      const r = await nodeExec(t.node, ['docker', 'exec', t.containerId, 'tododb-lag'], { timeoutMs: 15_000 });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      const s = parseLagLine(line || r.stderr.trim(), Date.now(), t.name, t.node);
      return { task: t.name, ioRunning: s.ioRunning, sqlRunning: s.sqlRunning, heartbeatLagMs: s.heartbeatLagMs, error: s.error };
    }),
  );
}
