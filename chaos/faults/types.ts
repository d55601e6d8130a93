// The one small interface every fault implements. Describing (describe) is apart from applying
// (prepare/inject), and every injection has its undo. prepare() resolves the concrete targets and
// captures what undo needs WITHOUT touching anything, so the ledger can hold the undo entry before
// the first change is made: a run killed mid-injection still leaves enough on disk to heal.
import type Dockerode from 'dockerode';
import { z } from 'zod';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { pathText, zodConfigError } from '../../scripts/lib/config-errors.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type NodeExec = (node: string, cmd: string[], opts?: { stdin?: string | Buffer; timeoutMs?: number }) => Promise<ExecResult>;

/** The in-swarm agent (chaos/agent/): node-local commands and dead-man bounds through Swarm alone. */
export interface AgentRuntime {
  /** the agent image as the nodes pull it */
  image(): Promise<string>;
  /** starts a supervisor on a manager that runs `script` on `node` after boundMs; returns its service name */
  arm(node: string, script: string, boundMs: number, label: string): Promise<string>;
  /** removes agent services (and the undo helpers of removed supervisors); missing ones are fine */
  remove(services: string[]): Promise<void>;
  /** this controller process as its agent services are labelled (a fired supervisor sweeps by it) */
  owner?: string;
}

/** What a fault may use. host/hostNetwork exist only on the local (embedded) swarm; nodeExec there
 *  or through the agent. */
export interface ChaosContext {
  swarm: Dockerode;
  dockerHost: string;
  /** the Swarm cluster ID of `swarm` (ledger records carry it) */
  swarmId?: string;
  /** host engine running the node containers (local swarm only) */
  host?: Dockerode;
  /** run a command on a node: in its dind container (local swarm) or through the agent */
  nodeExec?: NodeExec;
  /** present when nodeExec goes through the in-swarm agent */
  agent?: AgentRuntime;
  /** host bridge network the node containers share (local swarm only) */
  hostNetwork?: string;
  /** blast radius: max share of a service's tasks one fault may kill */
  maxShare: number;
  allowManager: boolean;
  log: (line: string) => void;
}

/** Serializable ledger entry: everything undo() needs, written before inject() changes anything. */
export interface UndoEntry {
  kind: string;
  name: string;
  params: Record<string, unknown>;
  /** observations made while injecting (e.g. the final update state of a bad update) */
  notes?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface FaultTargets {
  services: string[];
  nodes: string[];
}

export interface Fault<P = any, E extends UndoEntry = UndoEntry> {
  kind: string;
  summary: string;
  /** needs node exec (the node containers of the embedded swarm, or the agent elsewhere) */
  needsHost: boolean;
  /** needs the dind node containers themselves (host engine): only the embedded local swarm */
  needsNodeContainers?: boolean | ((params: P) => boolean);
  /**
   * Node-shell scripts that undo (and verify) an injected entry on its nodes, for the dead-man
   * supervisor (chaos/agent/deadman.ts); pure. Absent: the fault holds nothing a bound must end.
   */
  nodeUndo?(entry: E, agentImage: string): { node: string; script: string }[];
  schema: z.ZodType<P>;
  /** one plan line; pure */
  describe(params: P): string;
  /** what the safety checks must look at */
  targets(params: P): FaultTargets;
  /** resolves concrete targets and captures undo state; reads only */
  prepare(ctx: ChaosContext, params: P, name: string): Promise<E>;
  /** applies the fault; returns the entry, possibly with notes */
  inject(ctx: ChaosContext, entry: E): Promise<E>;
  /** idempotent: also safe after a partial or never-applied injection */
  undo(ctx: ChaosContext, entry: E): Promise<void>;
}

/** Validates fault params with the fault's schema; the error names the step and the field. */
export function validateParams<P>(fault: Fault<P>, params: unknown, where: string): P {
  const parsed = fault.schema.safeParse(params);
  if (!parsed.success) {
    throw zodConfigError(parsed.error, { source: (p) => `${where}: fault ${fault.kind}: params${p.length ? `.${pathText(p)}` : ''}`, input: params });
  }
  return parsed.data;
}

export function needHost(ctx: ChaosContext, kind: string): { host: Dockerode; nodeExec: NodeExec; hostNetwork: string } {
  if (!ctx.host || !ctx.nodeExec || !ctx.hostNetwork) {
    throw new EnvironmentError(
      `fault ${kind} needs access to the node containers, which only the embedded local swarm gives (DOCKER_HOST=${ctx.dockerHost})`,
    );
  }
  return { host: ctx.host, nodeExec: ctx.nodeExec, hostNetwork: ctx.hostNetwork };
}

/** nodeExec, from the node containers (local swarm) or the agent. */
export function needNodeExec(ctx: ChaosContext, kind: string): NodeExec {
  if (!ctx.nodeExec) {
    throw new EnvironmentError(`fault ${kind} needs to run commands on the nodes: the embedded local swarm or the chaos agent (DOCKER_HOST=${ctx.dockerHost})`);
  }
  return ctx.nodeExec;
}

/** Does this fault step need the dind node containers (not only node exec)? */
export function needsNodeContainers(fault: Fault, params: unknown): boolean {
  const n = fault.needsNodeContainers;
  return typeof n === 'function' ? n(params) : Boolean(n);
}

/** Runs a command on a node and throws with its stderr when it fails. */
export async function execOk(ctx: ChaosContext, node: string, cmd: string[], what: string, timeoutMs = 30_000): Promise<string> {
  const nodeExec = needNodeExec(ctx, what);
  const r = await nodeExec(node, cmd, { timeoutMs });
  if (r.exitCode !== 0) {
    throw new EnvironmentError(`${what} on ${node} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  }
  return r.stdout;
}

/** PID of a task container as seen by the node's engine: the handle for nsenter. */
export async function containerPid(ctx: ChaosContext, node: string, containerId: string): Promise<number> {
  const out = await execOk(ctx, node, ['docker', 'inspect', '-f', '{{.State.Pid}}', containerId], 'docker inspect');
  const pid = Number(out.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new EnvironmentError(`container ${containerId.slice(0, 12)} on ${node} is not running (pid ${out.trim()})`);
  return pid;
}
