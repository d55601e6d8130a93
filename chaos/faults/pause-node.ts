// Freeze a node: every process stops, sockets stay open, so peers see silence rather than resets.
// `docker pause` of a node container alone is not enough here: the nodes share the host's cgroup
// namespace, so their task containers' cgroups are siblings of the node's, not children, and a
// paused node kept serving from its tasks while only its engine (and with it the tasks' DNS) hung.
// So the node's task containers are paused first (by the node's engine), then the node. Undo:
// unpause the node, then exactly the task containers this fault paused: their ids are taken at
// prepare (the containers running then, so in the ledger before anything is paused) and narrowed
// to those actually paused at inject. A container someone else paused is left paused.
// Through the agent (any swarm, the default): a guard on the node (node-guard.ts) SIGSTOPs every
// process of the task containers, then the engine, and at the fault's time SIGCONTs both together,
// tasks first, as a frozen host or VM resumes. Not `docker pause`: that can only be undone through
// the engine, so the engine would run (and announce the node's old tasks to the swarm's DNS again,
// seen here) seconds before the tasks it names thaw; meanwhile every client sent there hung.
import type { ChaosContext } from './types.ts';
import { execOk } from './types.ts';
import { hostNodeFault, type NodeEntry } from './host-node.ts';
import { ENGINE_CONT, ENGINE_STOP } from './node-guard.ts';

/** the node's running task containers (full ids), one per line; agent containers are not tasks */
export const LIST_RUNNING = 'docker ps -q --no-trunc --filter status=running --filter label=com.docker.swarm.task.id';
const ids = (out: string) => out.split(/\s+/).filter((x) => /^[0-9a-f]{12,64}$/.test(x));
const quoted = (xs: string[]) => xs.map((x) => `'${x}'`).join(' ');

/** pauses the given containers that still run; prints the id of each one it paused */
export function freezeScript(containers: string[]): string {
  return `for id in ${quoted(containers)}; do if [ "$(docker inspect -f '{{.State.Running}} {{.State.Paused}}' "$id" 2>/dev/null)" = "true false" ]; then docker pause "$id" >/dev/null && echo "$id"; fi; done; true`;
}

/** unpauses those of the given containers that are paused; fails when one cannot be unpaused */
export function thawScript(containers: string[]): string {
  return `fail=0; for id in ${quoted(containers)}; do if [ "$(docker inspect -f '{{.State.Paused}}' "$id" 2>/dev/null)" = true ]; then docker unpause "$id" >/dev/null && echo "$id" || fail=1; fi; done; exit $fail`;
}

/** the guard's own file (act and undo run in the same guard container): the task processes act stopped */
export const STOPPED_PIDS = '/tmp/gameday-pause-node.pids';

/**
 * Shell: prints the pids of the given root processes and of all their descendants that are alive
 * (from /proc, no procps needed). ROOTS is a shell expression (word list) of pids.
 */
export function processTreeScript(roots: string): string {
  return [
    `for f in /proc/[0-9]*/stat; do { read -r l < "$f"; } 2>/dev/null || continue; p=\${l%% *}; r=\${l##*) }; set -- $r; echo "$p $2"; done |`,
    `awk -v roots="${roots}" 'BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }`,
    '{ pp[$1] = $2 }',
    'END { c = 1; while (c) { c = 0; for (p in pp) if (!(p in keep) && (pp[p] in keep)) { keep[p] = 1; c = 1 } } for (p in keep) if (p in pp) print p }\'',
  ].join('\n');
}

/** Shell: SIGSTOPs every process of the given roots' trees (twice, to catch a fork in between); the pids go to file. */
export function stopTreesScript(roots: string, file: string): string {
  return [
    `all=; for pass in 1 2; do t=$(${processTreeScript(roots)}); [ -n "$t" ] && kill -STOP $t 2>/dev/null; all="$all $t"; done`,
    `printf '%s\\n' $all | sort -u | grep . > ${file}; echo "stopped $(wc -l < ${file}) task process(es)"`,
  ].join('\n');
}

/** Shell test: process $p is stopped (state T) */
const STOPPED_P = `s=$(sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/$p/status 2>/dev/null); [ "$s" = T ]`;

/** Shell: SIGCONTs those pids of file that are stopped (state T); no file, nothing to do. */
export function contFileScript(file: string): string {
  return `n=0; [ -f ${file} ] && for p in $(cat ${file}); do ${STOPPED_P} && kill -CONT $p && n=$((n+1)); done; echo "continued $n task process(es)"`;
}

/** Shell (engine running): the init pids of those given containers that run. */
const initPids = (containers: string[]) =>
  `roots=; for id in ${quoted(containers)}; do p=$(docker inspect -f '{{if .State.Running}}{{.State.Pid}}{{end}}' "$id" 2>/dev/null); [ -n "$p" ] && [ "$p" != 0 ] && roots="$roots $p"; done`;

/** Agent act: every process of the running candidates SIGSTOPped (pids kept for the undo), then the engine. */
export function agentFreezeScript(containers: string[]): string {
  if (!containers.length) return ENGINE_STOP;
  return [initPids(containers), stopTreesScript('$roots', STOPPED_PIDS), ENGINE_STOP].join('\n');
}

/**
 * Shell (engine running): continues any process of the candidates still stopped (the guard gone, or
 * a fork it missed) and unpauses a candidate `docker pause`d (records of older versions did so).
 */
export function agentThawCheckScript(containers: string[]): string {
  if (!containers.length) return 'true';
  return [
    initPids(containers),
    `left=; for p in $(${processTreeScript('$roots')}); do ${STOPPED_P} && kill -CONT $p && left="$left $p"; done`,
    '[ -z "$left" ] || echo "continued task process(es) still stopped:$left"',
    thawScript(containers),
  ].join('\n');
}

/**
 * Agent undo (the guard, the controller's check and the supervisor run it; idempotent): SIGCONT of
 * the task processes the guard stopped and then at once of the engine, as a frozen host resumes;
 * then the check above.
 */
export function agentThawScript(containers: string[]): string {
  return [contFileScript(STOPPED_PIDS), ENGINE_CONT, agentThawCheckScript(containers)].join('\n');
}

/** records of versions before issue 14 carry no ids: they thawed every paused container, as this does */
export const THAW_ALL_LEGACY = 'ids=$(docker ps -q --filter status=paused); [ -z "$ids" ] || docker unpause $ids >/dev/null; echo $ids';

interface PauseEntry extends NodeEntry {
  /** task containers running at prepare: the candidates */
  containers?: string[];
  /** those inject actually paused */
  paused?: string[];
}

export const pauseNode = hostNodeFault({
  kind: 'pause-node',
  summary: "freeze a worker node: its task processes, then its engine (through the agent: SIGSTOP, thawed together; on the node containers: docker pause); undo: thaw both, wait until Ready",
  verb: 'pause',
  undoText: 'undo: docker unpause (node, then the task containers it paused); through the agent: SIGCONT of the task processes and at once of the engine',
  capture: async (ctx: ChaosContext, node: string) => ({ containers: ids(await execOk(ctx, node, ['sh', '-c', LIST_RUNNING], 'listing task containers')) }),
  act: async (c, ctx, node, entry) => {
    const e = entry as PauseEntry;
    const paused = e.containers?.length ? ids(await execOk(ctx, node, ['sh', '-c', freezeScript(e.containers)], 'pausing task containers')) : [];
    e.paused = paused;
    ctx.log(`paused ${paused.length} task container(s) on ${node}`);
    await c.pause();
  },
  agent: {
    how: 'SIGSTOP of every process of its task containers, then of its engine (dockerd, containerd, shims)',
    act: (entry) => agentFreezeScript((entry as PauseEntry).containers ?? []),
    undo: (entry) => agentThawScript((entry as PauseEntry).containers ?? []),
  },
  afterBack: async (ctx, node, entry) => {
    const e = entry as PauseEntry;
    const mine = e.paused ?? e.containers;
    if (!mine) {
      ctx.log(`warning: this ${entry.kind} record is from an older version and does not say which containers it paused: unpausing every paused container on ${node}`);
      await execOk(ctx, node, ['sh', '-c', THAW_ALL_LEGACY], 'unpausing task containers');
      return;
    }
    if (!mine.length) return;
    const n = ids(await execOk(ctx, node, ['sh', '-c', thawScript(mine)], 'unpausing the task containers it paused')).length;
    ctx.log(`unpaused ${n} task container(s) on ${node}`);
  },
});
