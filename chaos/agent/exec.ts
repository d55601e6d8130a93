// agentNodeExec: a NodeExec that reaches node X through Swarm alone. One one-shot service per
// command (constraint node.hostname==X, the node's docker socket mounted), whose task starts a node
// shell there (run.sh) and frames the result in its log; the controller polls the task through the
// manager, reads the log, removes the service. Every step is bounded; errors name node and command.
import crypto from 'node:crypto';
import type Dockerode from 'dockerode';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { createServiceWithAuth } from '../../scripts/lib/registry-auth.ts';
import type { ExecResult, NodeExec } from '../faults/types.ts';
import { demuxLogs, encodeCommand, encodeStdin, parseFramed } from './protocol.ts';
import { agentServiceName, agentServiceSpec, type AgentRole } from './spec.ts';

export interface AgentExecOptions {
  /** the agent image as the nodes pull it (resolved once, on first use) */
  image: () => Promise<string>;
  /** label gameday.agent.owner of every exec service: a supervisor that fires removes its finished ones */
  owner?: string;
  /** task state poll interval (default 150 ms) */
  pollMs?: number;
  log?: (line: string) => void;
}

const DONE = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function newAgentId(prefix = ''): string {
  return `${prefix}${crypto.randomBytes(5).toString('hex')}`;
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new EnvironmentError(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function removeServices(swarm: Dockerode, names: string[]): Promise<void> {
  for (const n of names) {
    try {
      await bounded(swarm.getService(n).remove(), 15_000, `removing agent service ${n}`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
}

export function agentNodeExec(swarm: Dockerode, o: AgentExecOptions): NodeExec {
  const pollMs = o.pollMs ?? 150;
  return async (node, cmd, opts = {}): Promise<ExecResult> => {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const what = `agent on node ${node}: \`${cmd.join(' ').slice(0, 120)}\``;
    const id = newAgentId();
    const image = await o.image();
    const spec = agentServiceSpec({
      id,
      image,
      role: 'exec' as AgentRole,
      node,
      labels: o.owner ? { 'gameday.agent.owner': o.owner } : undefined,
      command: ['gameday-agent-run'],
      env: {
        GAMEDAY_AGENT_ID: id,
        GAMEDAY_AGENT_IMAGE: image,
        GAMEDAY_AGENT_CMD: encodeCommand(cmd),
        GAMEDAY_AGENT_STDIN: encodeStdin(opts.stdin, what),
        GAMEDAY_AGENT_TIMEOUT_S: String(Math.max(1, Math.ceil(timeoutMs / 1000))),
      },
    });
    return runOneShot(swarm, spec, id, what, timeoutMs, pollMs, o.log);
  };
}

/**
 * Creates a one-shot agent service from spec (run id `id`), waits (bounded) for its task to end,
 * reads the framed result from its log and removes the service, however that ends.
 */
export async function runOneShot(swarm: Dockerode, spec: Record<string, unknown>, id: string, what: string, timeoutMs: number, pollMs = 150, log?: (line: string) => void): Promise<ExecResult> {
  const name = agentServiceName(id);
  // the task must start (image present: ~1-2 s) and the command run within its timeout
  const deadline = Date.now() + timeoutMs + 30_000;
  await bounded(createServiceWithAuth(swarm, spec), 15_000, `${what}: creating service ${name}`);
  try {
    let last = 'no task yet';
    for (;;) {
      const tasks = (await bounded(swarm.listTasks({ filters: { service: [name] } }), 10_000, `${what}: listing tasks`)) as any[];
      const t = tasks[0];
      if (t) {
        const state = String(t.Status?.State ?? '');
        last = `${state}${t.Status?.Err ? ` (${t.Status.Err})` : ''}`;
        if (DONE.has(state)) {
          if (state !== 'complete') throw new EnvironmentError(`${what}: agent task ${state}: ${t.Status?.Err ?? t.Status?.Message ?? 'no reason given'}`);
          break;
        }
      }
      if (Date.now() > deadline) throw new EnvironmentError(`${what}: agent task not done within ${Math.round((timeoutMs + 30_000) / 1000)} s (last state: ${last})`);
      await sleep(pollMs);
    }
    // the log reaches the manager from the node shortly after the task ends
    for (let i = 0; ; i++) {
      const raw = (await bounded(swarm.getService(name).logs({ stdout: true, stderr: true, follow: false } as any) as unknown as Promise<Buffer>, 10_000, `${what}: reading the agent log`)) as Buffer | string;
      const text = Buffer.isBuffer(raw) ? demuxLogs(raw) : String(raw);
      const r = parseFramed(text, id);
      if (r) return r;
      if (i >= 30 || Date.now() > deadline) throw new EnvironmentError(`${what}: the agent's log has no result (last lines: ${text.trim().split('\n').slice(-3).join(' | ').slice(0, 300) || 'none'})`);
      await sleep(200);
    }
  } finally {
    await removeServices(swarm, [name]).catch((err) => log?.(`could not remove ${name}: ${err instanceof Error ? err.message : String(err)} (npm run chaos -- --recover removes it)`));
  }
}
