// A long-lived command inside a task container on a local-swarm node, read line by line:
// host `docker exec <node> docker exec <cid> sh -c ...`. One stream per replica instead of one
// exec per sample. The in-container loop prints its pid first so it can be killed by id on stop,
// The loop prints its process group first (GNU timeout makes itself a group leader), so stop()
// kills the whole group (loop, pipeline, client) by id; `timeout -s KILL` bounds it anyway, so
// nothing outlives the run even if our side dies.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { nodeExec } from '../../scripts/lib/node-exec.ts';

export interface StreamHandle {
  /** resolves with the exit code when the stream ended (for whatever reason) */
  done: Promise<number | null>;
  stop(): Promise<void>;
}

export interface TaskStreamOptions {
  node: string;
  containerId: string;
  /** shell loop body; runs under sh -c, its stdout lines go to onLine */
  script: string;
  maxSeconds: number;
  onLine: (line: string) => void;
  onStderr?: (line: string) => void;
}

/** How a lag stream reaches a task container: the host engine's node containers (below) or the
 *  chaos agent (agent-stream.ts). */
export type TaskStreamStarter = (opts: TaskStreamOptions) => StreamHandle;

export const PID_PREFIX = '__gameday_pid ';

/** The command run in the task container, after `docker exec -u root <cid>`: the script bounded by
 *  timeout, its first line the process group (field 5 of /proc/<pid>/stat: timeout's pid). */
export function taskStreamCommand(opts: Pick<TaskStreamOptions, 'script' | 'maxSeconds'>): string[] {
  const inner = `echo "${PID_PREFIX}$(cut -d' ' -f5 /proc/$$/stat)"; ${opts.script}`;
  return ['timeout', '-s', 'KILL', String(Math.max(1, Math.ceil(opts.maxSeconds))), 'sh', '-c', inner];
}

/** The process group in a `__gameday_pid` line, or undefined for any other line. */
export function groupIdOf(line: string): number | undefined {
  if (!line.startsWith(PID_PREFIX)) return undefined;
  const g = Number(line.slice(PID_PREFIX.length));
  return Number.isInteger(g) && g > 1 ? g : undefined;
}

/** The kill of a stream's process group, run on its node (bash: dash's kill cannot signal a group). */
export function groupKillCommand(containerId: string, groupId: number): string[] {
  return ['docker', 'exec', '-u', 'root', containerId, 'bash', '-c', `kill -TERM -- -${groupId}`];
}

export function startTaskStream(opts: TaskStreamOptions): StreamHandle {
  const cmd = ['exec', opts.node, 'docker', 'exec', '-u', 'root', opts.containerId, ...taskStreamCommand(opts)];
  // the node containers live on the host engine, whatever DOCKER_HOST the user exported
  const child = spawn('docker', cmd, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  let groupId: number | undefined;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (groupId === undefined && line.startsWith(PID_PREFIX)) {
      groupId = groupIdOf(line);
      return;
    }
    opts.onLine(line);
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => opts.onStderr?.(line));
  const done = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  let stopping: Promise<void> | undefined;
  return {
    done,
    stop() {
      stopping ??= (async () => {
        if (groupId) {
          // best effort: the container may be gone already (then the loop died with it)
          await nodeExec(opts.node, groupKillCommand(opts.containerId, groupId), {
            timeoutMs: 10_000,
          }).catch(() => undefined);
        }
        if (child.exitCode === null && child.pid) child.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 5000).unref())]);
        if (child.exitCode === null && child.pid) child.kill('SIGKILL');
      })();
      return stopping;
    },
  };
}
