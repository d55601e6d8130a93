// Runs a command inside a node container of the local swarm through the host engine. Inside a
// node, `docker ...` talks to that node's own engine, so chaos can reach task containers there.
import { hostEnv } from './host-env.ts';
import { $ } from 'zx';
import { DockerError } from './errors.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function nodeExec(
  node: string,
  cmd: string[],
  opts: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const p = $({
    nothrow: true,
    quiet: true,
    input: opts.stdin,
    timeout: opts.timeoutMs ?? 60_000,
    // node containers live on the host engine, whatever DOCKER_HOST (often the manager) says
    env: hostEnv(),
  })`docker exec ${opts.stdin !== undefined ? ['-i'] : []} ${node} ${cmd}`;
  const r = await p;
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

/** nodeExec that throws a DockerError (naming node and command) on a non-zero exit. */
export async function nodeExecOk(node: string, cmd: string[], opts: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<string> {
  const r = await nodeExec(node, cmd, opts);
  if (r.exitCode !== 0) {
    throw new DockerError(`on node ${node}: \`${cmd.join(' ')}\` exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}
