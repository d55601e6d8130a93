// SQL inside a DB task container: the tododb image lets root@localhost in over the unix socket,
// so no password leaves the container.
import { nodeExec } from '../../scripts/lib/node-exec.ts';
import { DockerError } from '../../scripts/lib/errors.ts';
import type { NodeExec } from '../faults/types.ts';
import type { TaskContainer } from './db-tasks.ts';

export const DB_NAME = 'tododb';
const SOCKET = '/run/mysqld/mysqld.sock';

export function mariadbCmd(containerId: string, sql: string, db = DB_NAME): string[] {
  return [
    'docker', 'exec', '-u', 'root', containerId,
    'mariadb', '--protocol=socket', `--socket=${SOCKET}`, '-uroot', '--batch', '--skip-column-names', db, '-e', sql,
  ];
}

/** Runs SQL in the task's container; rows split on tabs (batch mode). `exec` reaches the task's
 *  node: the host engine's node exec on the embedded swarm, the in-swarm agent on any other. */
export async function queryTask(task: TaskContainer, sql: string, timeoutMs = 30_000, exec: NodeExec = nodeExec, db = DB_NAME): Promise<string[][]> {
  const r = await exec(task.node, mariadbCmd(task.containerId, sql, db), { timeoutMs });
  if (r.exitCode !== 0) {
    throw new DockerError(`SQL on ${task.name} (node ${task.node}) exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
  }
  return batchRows(r.stdout);
}

/** The rows of `mariadb --batch --skip-column-names` output, split on tabs. */
export function batchRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.length)
    .map((l) => l.split('\t'));
}
