// Degrade a task's network: latency (± jitter) and loss. Where the kernel has sch_netem, tc netem
// on every non-loopback interface of the task's netns (egress). Kernels built without it (this
// project's CI VMs among them) get the same figures from gameday-netdelay (chaos/netdelay): an
// iptables NFQUEUE rule hands the task's incoming packets to it and it releases each one when its
// delay is over. It delays ingress, not egress, because packets held on egress still count against
// the sender's TCP small-queue budget and throttle throughput far below what netem would give;
// on ingress the round trip grows by the delay, as with netem. --queue-bypass and fail-open mean
// traffic flows undelayed whenever the delayer is gone, and it exits by itself after maxDurationS.
// The mechanism used is recorded in the fault's notes. Undo removes qdisc and rule and stops the
// delayer (which lives on the node, so it is stopped even when the task is gone).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { durationMs } from '../model.ts';
import { ensureNetDelay } from '../../scripts/lib/tools.ts';
import { execOk, type ChaosContext, type Fault, type UndoEntry } from './types.ts';
import { needHost, needNodeExec } from './types.ts';
import { shQuote } from '../agent/protocol.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { hostState } from './nodes.ts';
import { inNetns, pickTaskRefs, taskPidShell, type TaskRef } from './task-netns.ts';

const schema = z
  .object({
    service: z.string().min(1),
    count: z.number().int().positive().default(1),
    node: z.string().min(1).optional(),
    delayMs: durationMs(60_000).default(200),
    jitterMs: durationMs(60_000).default(0),
    lossPct: z.number().min(0).max(100).default(0),
    /** the delayer stops by itself after this long, whatever happens to the run */
    maxDurationS: z.number().int().min(10).max(3600).default(600),
  })
  .refine((p) => p.delayMs > 0 || p.lossPct > 0, { message: 'expected delayMs or lossPct above 0', path: ['delayMs'] })
  .refine((p) => p.jitterMs <= p.delayMs, { message: 'expected jitterMs <= delayMs', path: ['jitterMs'] });
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  tasks: TaskRef[];
  mechanism?: string;
}

const IFACES = `ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'`;
/** NFQUEUE numbers are per netns: one fixed number is enough. */
const QUEUE = 7411;
const RULE = `INPUT ! -i lo -j NFQUEUE --queue-num ${QUEUE} --queue-bypass`;
export const NODE_BIN = '/usr/local/bin/gameday-netdelay';

/** pid and log files of the delayer serving one task container, on its node */
export function delayerFiles(container: string): { pid: string; log: string } {
  const base = `/run/gameday-netdelay-${container.slice(0, 12)}`;
  return { pid: `${base}.pid`, log: `${base}.log` };
}

export function netemArgs(p: Params): string {
  return [p.delayMs ? `delay ${p.delayMs}ms${p.jitterMs ? ` ${p.jitterMs}ms` : ''}` : '', p.lossPct ? `loss ${p.lossPct}%` : ''].filter(Boolean).join(' ');
}

export function delayerArgs(p: Params, pidFile: string): string {
  return `--queue ${QUEUE} --delay ${p.delayMs}ms --jitter ${p.jitterMs}ms --loss ${p.lossPct} --max-duration ${p.maxDurationS}s --pidfile ${pidFile}`;
}

/** Shell script run in the task's netns (node filesystem); prints "mechanism=<netem|nfqueue-delay>". */
export function injectScript(p: Params, container: string): string {
  const f = delayerFiles(container);
  return [
    'set -e',
    `ifs=$(${IFACES})`,
    'first=$(echo "$ifs" | head -n1)',
    `if tc qdisc replace dev "$first" root netem ${netemArgs(p)} 2>/dev/null; then`,
    `  for i in $ifs; do tc qdisc replace dev "$i" root netem ${netemArgs(p)}; done; echo mechanism=netem`,
    'else',
    // a re-injection replaces an older delayer
    `  if [ -s ${f.pid} ]; then kill "$(cat ${f.pid})" 2>/dev/null || true; rm -f ${f.pid}; fi`,
    `  iptables -C ${RULE} 2>/dev/null || iptables -I ${RULE.replace('INPUT', 'INPUT 1')}`,
    `  setsid ${NODE_BIN} ${delayerArgs(p, f.pid)} </dev/null >${f.log} 2>&1 &`,
    `  i=0; while [ ! -s ${f.pid} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`,
    `  if [ ! -s ${f.pid} ]; then cat ${f.log} >&2; iptables -D ${RULE} 2>/dev/null || true; exit 4; fi`,
    '  echo mechanism=nfqueue-delay',
    'fi',
  ].join('\n');
}

/** Run in the task's netns: removes the qdisc and the queue rule. */
export const UNDO_NETNS_SCRIPT = [
  `for i in $(${IFACES}); do tc qdisc del dev "$i" root 2>/dev/null || true; done`,
  `while iptables -D ${RULE} 2>/dev/null; do :; done`,
].join('; ');

/** Run on the node: stops the delayer (it accepts what it holds on SIGTERM) and prints its log. */
export function undoNodeScript(container: string): string {
  const f = delayerFiles(container);
  return [
    `if [ -s ${f.pid} ]; then p=$(cat ${f.pid}); kill "$p" 2>/dev/null || true`,
    `  i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; kill -9 "$p" 2>/dev/null || true; fi`,
    `rm -f ${f.pid}; tail -n 1 ${f.log} 2>/dev/null || true; rm -f ${f.log}`,
  ].join('\n');
}

// Through the agent (no node filesystem to keep a process in): the delayer is a detached container
// in the task's netns, from the agent image; undo removes it and the queue rule.
export function delayerContainer(container: string): string {
  return `gameday-netdelay-${container.slice(0, 12)}`;
}

/** Node shell: netem if the kernel has it, else rule + delayer container; prints mechanism=... */
export function agentInjectScript(p: Params, container: string, image: string): string {
  const name = delayerContainer(container);
  const inNs = (s: string) => `nsenter -t "$pid" -n sh -c ${shQuote(s)}`;
  const unrule = `${inNs(`iptables -D ${RULE}`)} 2>/dev/null`;
  return [
    taskPidShell(container),
    `[ "$pid" != 0 ] || { echo "container ${container.slice(0, 12)} is not running" >&2; exit 3; }`,
    `if ${inNs(`first=$(${IFACES} | head -n1); tc qdisc replace dev "$first" root netem ${netemArgs(p)}`)} 2>/dev/null; then`,
    `  ${inNs(`for i in $(${IFACES}); do tc qdisc replace dev "$i" root netem ${netemArgs(p)}; done`)} && echo mechanism=netem && exit 0`,
    '  exit 4',
    'fi',
    `${inNs(`iptables -C ${RULE} 2>/dev/null || iptables -I ${RULE.replace('INPUT', 'INPUT 1')}`)} || exit 4`,
    // no --rm: when the delayer exits at once, its log (the reason) must outlive it. It is ready
    // once it says which queue it serves (printed after binding it); one retry after a failed start.
    'start_delayer() {',
    `  docker rm -f ${name} >/dev/null 2>&1`,
    `  docker run -d --name ${name} --label gameday.agent=1 --label gameday.agent.role=delayer --net container:${container} --cap-add NET_ADMIN --cap-add NET_RAW ` +
      `--entrypoint gameday-netdelay ${image} --queue ${QUEUE} --delay ${p.delayMs}ms --jitter ${p.jitterMs}ms --loss ${p.lossPct} --max-duration ${p.maxDurationS}s >/dev/null || return 1`,
    '  i=0; while [ $i -lt 50 ]; do',
    `    if docker logs ${name} 2>&1 | grep -q '^gameday-netdelay: queue '; then return 0; fi`,
    `    [ "$(docker inspect -f '{{.State.Running}}' ${name} 2>/dev/null)" = true ] || break`,
    '    sleep 0.1; i=$((i+1))',
    '  done',
    `  echo "gameday-netdelay in the netns of ${container.slice(0, 12)} is not serving its queue ($(docker inspect -f 'state {{.State.Status}}, exit code {{.State.ExitCode}}' ${name} 2>&1); waited up to 5 s); its log:" >&2`,
    `  docker logs ${name} 2>&1 | tail -n 20 >&2; docker rm -f ${name} >/dev/null 2>&1; return 1`,
    '}',
    // the first failure's words go to stdout, so the run's log keeps them when the retry works
    'if ! first=$(start_delayer 2>&1); then',
    '  echo "delayer-retry: $first" | tr "\\n" " "; echo; sleep 1',
    `  start_delayer || { ${unrule}; exit 4; }`,
    'fi',
    'echo mechanism=nfqueue-delay',
  ].join('\n');
}

/** Node shell (agent, dead-man supervisor): stop the delayer, remove qdisc and rule, verify. */
export function agentUndoScript(container: string): string {
  const name = delayerContainer(container);
  return [
    `docker stop -t 3 ${name} >/dev/null 2>&1; docker rm -f ${name} >/dev/null 2>&1`,
    `if [ -n "$(docker ps -aq --filter name=^${name}$)" ]; then echo "${name} is still there" >&2; exit 1; fi`,
    taskPidShell(container),
    'if [ "$pid" = 0 ]; then echo "delayer removed; task gone"; exit 0; fi',
    `nsenter -t "$pid" -n sh -c ${shQuote(UNDO_NETNS_SCRIPT)}`,
    `if nsenter -t "$pid" -n iptables -S INPUT | grep -q NFQUEUE; then echo "the NFQUEUE rule is still in place" >&2; exit 1; fi`,
    'echo "delayer removed, rule and qdisc gone"',
  ].join('\n');
}

/** Copies the delayer onto the node unless the same build is there already. */
async function installDelayer(ctx: ChaosContext, node: string): Promise<void> {
  const nodeExec = needNodeExec(ctx, 'netem');
  const bin = fs.readFileSync(await ensureNetDelay());
  const want = crypto.createHash('sha256').update(bin).digest('hex');
  const have = await nodeExec(node, ['sh', '-c', `sha256sum ${NODE_BIN} 2>/dev/null | cut -d' ' -f1`]);
  if (have.stdout.trim() === want) return;
  const r = await nodeExec(node, ['sh', '-c', `cat > ${NODE_BIN}.tmp && chmod 755 ${NODE_BIN}.tmp && mv ${NODE_BIN}.tmp ${NODE_BIN}`], {
    stdin: bin,
    timeoutMs: 60_000,
  });
  if (r.exitCode !== 0) throw new Error(`copying gameday-netdelay to ${node} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
}

export const netem: Fault<Params, Entry> = {
  kind: 'netem',
  summary: "add latency/jitter/loss to a task's network (tc netem, or the NFQUEUE delayer where the kernel lacks netem); undo removes it",
  needsHost: true,
  schema,
  describe: (p) =>
    `degrade the network of ${p.count} task(s) of ${p.service}: ${netemArgs(p)}` +
    ` (tc netem, or gameday-netdelay on incoming packets where the kernel has no netem; stops by itself after ${p.maxDurationS} s); undo: remove qdisc/rule, stop the delayer`,
  targets: (p) => ({ services: [p.service], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    return { kind: 'netem', name, params: p, tasks: await pickTaskRefs(ctx, p.service, p.count, p.node) };
  },
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    const mechanisms = new Set<string>();
    for (const t of entry.tasks) {
      let out: string;
      if (ctx.agent) {
        out = await execOk(ctx, t.node, ['sh', '-c', agentInjectScript(p, t.container, await ctx.agent.image())], `degrade the network of ${t.service}.${t.slot}`, 60_000);
      } else {
        await installDelayer(ctx, t.node);
        out = (await inNetns(ctx, t, injectScript(p, t.container))) ?? '';
      }
      const retry = /^delayer-retry: (.*)$/m.exec(out)?.[1];
      if (retry) ctx.log(`${t.service}.${t.slot}: the delayer's first start failed, started once more: ${retry.trim()}`);
      const mech = /mechanism=(\S+)/.exec(out)?.[1] ?? 'unknown';
      mechanisms.add(mech);
      ctx.log(`network of ${t.service}.${t.slot} (${t.node}) degraded via ${mech}: ${netemArgs(p)}`);
    }
    entry.mechanism = [...mechanisms].join(',');
    entry.notes = { mechanism: entry.mechanism };
    return entry;
  },
  nodeUndo: (entry) => entry.tasks.map((t) => ({ node: t.node, script: agentUndoScript(t.container) })),
  async undo(ctx, entry) {
    if (ctx.agent) {
      for (const t of entry.tasks) ctx.log(`${t.service}.${t.slot}: ${(await execOk(ctx, t.node, ['sh', '-c', agentUndoScript(t.container)], 'undo netem', 60_000)).trim()}`);
      return;
    }
    const { nodeExec, host } = needHost(ctx, 'netem');
    for (const t of entry.tasks) {
      await inNetns(ctx, t, UNDO_NETNS_SCRIPT, false);
      // the delayer runs on the node even when the task is gone; a node that is gone took it along
      const r = await nodeExec(t.node, ['sh', '-c', undoNodeScript(t.container)], { timeoutMs: 20_000 });
      if (r.exitCode !== 0) {
        const node = await hostState(host, t.node).catch(() => 'unknown' as const);
        if (node === 'stopped' || node === 'missing') {
          ctx.log(`node ${t.node} is ${node}: the delayer of ${t.service}.${t.slot} went with it`);
          continue;
        }
        throw new EnvironmentError(
          `stopping gameday-netdelay of ${t.service}.${t.slot} on node ${t.node} (node ${node}) failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 300) || 'no output'}`,
        );
      }
      if (r.stdout.trim()) ctx.log(`${t.service}.${t.slot}: ${r.stdout.trim()}`);
    }
  },
};
