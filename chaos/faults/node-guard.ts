// Node faults through the agent (freeze a node, hang its engine, cut it off the network): while
// such a fault holds, the node does not answer Swarm, so no agent service can reach it to undo, and
// the dead-man supervisor on a manager cannot either. So the undo lives ON the node: the agent exec
// starts a detached "guard" container on the node's engine (host pid and network namespaces, from
// the agent image) and returns; the guard waits until that exec's containers are gone (so the
// controller has read its result before the engine freezes or the link drops), applies the fault,
// holds it until its time, then undoes and verifies it itself, and removes itself (--rm). It needs
// nothing from the controller, the managers or the node's Docker API while it holds: a SIGSTOPped
// dockerd does not stop the guard's own process, and a DROP rule does not stop its timer.
// The controller's undo waits for the guard's time, then for the node to be Ready, then runs the
// same undo (idempotent) through the agent as a check; the dead-man supervisor runs it once more
// at the fault's bound should everything else have failed.
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { BOUND_MARGIN_MS, agentNote } from '../agent/deadman.ts';
import { shQuote } from '../agent/protocol.ts';
import { waitNodeReady } from './nodes.ts';
import { execOk, type ChaosContext, type UndoEntry } from './types.ts';

export interface GuardNote {
  /** the guard container on the node */
  container: string;
  /** ISO time the guard undoes (controller clock) */
  until: string;
  holdS: number;
}

/** How long a node fault is held through a guard: what the method plans for it (its bound less the margin). */
export function guardHoldS(entry: UndoEntry, fallbackMs = 20_000): number {
  const bound = agentNote(entry)?.boundMs;
  const ms = bound !== undefined ? bound - BOUND_MARGIN_MS : fallbackMs;
  return Math.max(5, Math.ceil(ms / 1000));
}

export function guardName(entry: UndoEntry, node: string): string {
  const safe = `${entry.kind}-${entry.name}-${node}`.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 80);
  return `gameday-guard-${safe}`;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * Node shell (run by an agent exec): starts the guard. GAMEDAY_AGENT_ID is the exec's run id (set by
 * run.sh); the guard acts once no container of that run is left (at most 30 s), then holds for
 * holdS, then runs undo (up to 5 attempts, 2 s apart). Prints "guard <name> started".
 */
export function guardStartScript(i: { name: string; image: string; act: string; undo: string; holdS: number }): string {
  const body = [
    'i=0; while [ -n "$GUARD_AFTER" ] && [ -n "$(docker ps -aq --filter "label=gameday.agent.run=$GUARD_AFTER")" ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i+1)); done',
    'start=$(date +%s)',
    'echo "guard: act"',
    'if ! sh -c "$(printf %s "$GUARD_ACT" | base64 -d)"; then echo "guard: act failed: undoing" >&2; fi',
    'left=$((GUARD_HOLD_S - ($(date +%s) - start))); [ $left -gt 0 ] && sleep $left',
    'n=1; until sh -c "$(printf %s "$GUARD_UNDO" | base64 -d)"; do echo "guard: undo attempt $n failed" >&2; [ $n -ge 5 ] && exit 1; n=$((n+1)); sleep 2; done',
    'echo "guard: undone"',
  ].join('\n');
  return [
    `docker rm -f ${i.name} >/dev/null 2>&1 || true`,
    `docker run -d --rm --name ${i.name} --label gameday.agent=1 --label gameday.agent.role=guard ` +
      // the capabilities of the agent's node shell (run.sh): a node may not grant SYS_RESOURCE
      '--pid host --net host --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined ' +
      '-v /var/run/docker.sock:/var/run/docker.sock ' +
      `-e "GUARD_AFTER=\${GAMEDAY_AGENT_ID:-}" -e GUARD_ACT=${b64(i.act)} -e GUARD_UNDO=${b64(i.undo)} -e GUARD_HOLD_S=${i.holdS} ` +
      `--entrypoint sh ${i.image} -c ${shQuote(body)} >/dev/null || exit 1`,
    `[ "$(docker inspect -f '{{.State.Running}}' ${i.name} 2>/dev/null)" = true ] || { echo "guard ${i.name} is not running" >&2; docker logs ${i.name} >&2 2>&1; exit 1; }`,
    `echo "guard ${i.name} started"`,
  ].join('\n');
}

/** Node shell: the guard is no longer needed (the controller or the supervisor undoes now). */
export function guardRemoveScript(name: string): string {
  return `docker rm -f ${name} >/dev/null 2>&1 || true`;
}

/** Injects through a guard on `node`; records the guard in the entry (notes.guard). */
export async function injectViaGuard<E extends UndoEntry>(ctx: ChaosContext, node: string, entry: E, act: string, undo: string, what: string): Promise<E> {
  const agent = ctx.agent!;
  const holdS = guardHoldS(entry);
  const name = guardName(entry, node);
  const t0 = Date.now();
  await execOk(ctx, node, ['sh', '-c', guardStartScript({ name, image: await agent.image(), act, undo, holdS })], `${what}: starting the guard`, 60_000);
  const guard: GuardNote = { container: name, until: new Date(t0 + holdS * 1000).toISOString(), holdS };
  ctx.log(`${what}: guard ${name} on ${node} applies it and undoes it by itself after ${holdS} s (the node cannot be reached while it holds)`);
  return { ...entry, guard };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Controller undo of a guarded fault: wait for the guard's time (plus slack for its start), then for
 * the node to be Ready, then run undo through the agent (idempotent: verifies the guard's work, or
 * does it when the guard failed).
 */
export async function undoViaGuard(ctx: ChaosContext, node: string, entry: UndoEntry, undo: string, what: string): Promise<void> {
  const g = (entry as { guard?: GuardNote }).guard;
  if (g) {
    const wait = Date.parse(g.until) + 5_000 - Date.now();
    if (wait > 0) {
      ctx.log(`${what}: waiting ${Math.round(wait / 1000)} s for the guard on ${node} to undo it`);
      await sleep(wait);
    }
  }
  try {
    await waitNodeReady(ctx.swarm, node, 180_000);
  } catch (err) {
    throw new EnvironmentError(`${what}: node ${node} not Ready after its guard's time: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out = await execOk(ctx, node, ['sh', '-c', `${g ? guardRemoveScript(g.container) + '\n' : ''}${undo}`], `${what}: undo and verify`, 90_000);
  if (out.trim()) ctx.log(`${what} on ${node}: ${out.trim().split('\n').slice(-2).join('; ')}`);
}

// The node's engine: every dockerd, containerd and containerd-shim* process in the host pid namespace
// (what `docker pause` of a dind node container freezes; on a real host, the Docker engine).
const ENGINE_LOOP = (body: string) =>
  `for d in /proc/[0-9]*; do c=$(cat "$d/comm" 2>/dev/null) || continue; case "$c" in dockerd|containerd|containerd-shim*) p=\${d#/proc/}; ${body};; esac; done`;

/** SIGSTOPs the node's engine; fails when none is found. */
export const ENGINE_STOP = [
  'pids=', ENGINE_LOOP('pids="$pids $p"'),
  '[ -n "$pids" ] || { echo "no dockerd/containerd process in the host pid namespace" >&2; exit 1; }',
  'kill -STOP $pids && echo "stopped:$pids"',
].join('\n');

/**
 * A fresh swarm session for the node: its connections to the managers reset, so its agent dials
 * them again. After a node was cut off or frozen the managers may never again get its logs though
 * it is Ready ("node ... is not available", moby/moby#35011; seen here after node-partition: every
 * later agent call to that node failed, since the agent answers through the service log). Its
 * managers come from the node's own `docker info`; needs the kernel's sock_destroy (best effort).
 */
export const SWARM_SESSION_RESET = [
  'for m in $(docker info --format "{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}" 2>/dev/null); do',
  '  ss -K dst "${m%:*}" dport = ":${m##*:}" >/dev/null 2>&1 && echo "swarm session reset: $m" || echo "swarm session not reset ($m): ss -K failed" >&2',
  'done',
].join('\n');

/** SIGCONTs every stopped engine process, then waits (30 s) until the engine answers. */
export const ENGINE_CONT = [
  ENGINE_LOOP('s=$(sed -n "s/^State:[[:space:]]*\\(.\\).*/\\1/p" "$d/status" 2>/dev/null); [ "$s" = T ] && kill -CONT "$p" && echo "continued $p"'),
  'i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 30 ] && { echo "the engine does not answer 30 s after SIGCONT" >&2; exit 1; }; sleep 1; done',
  'left=; ' + ENGINE_LOOP('s=$(sed -n "s/^State:[[:space:]]*\\(.\\).*/\\1/p" "$d/status" 2>/dev/null); [ "$s" = T ] && left="$left $p"'),
  '[ -z "$left" ] || { echo "engine processes still stopped:$left" >&2; exit 1; }',
  'echo "engine running"',
  SWARM_SESSION_RESET,
].join('\n');
