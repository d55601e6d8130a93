// Degrade a task's network: tc netem (delay, jitter, loss) on every non-loopback interface of its
// netns. Some kernels are built without sch_netem (this project's CI VMs among them): then the
// fault falls back to random packet loss with iptables' statistic match, which TCP turns into
// retransmission delays (200 ms+ per lost segment, 1 s per lost SYN). The mechanism used is
// recorded in the fault's notes. Undo removes both (a replaced task took its netns along anyway).
import { z } from 'zod';
import type { Fault, UndoEntry } from './types.ts';
import { inNetns, pickTaskRefs, type TaskRef } from './task-netns.ts';

const schema = z
  .object({
    service: z.string().min(1),
    count: z.number().int().positive().default(1),
    node: z.string().min(1).optional(),
    delayMs: z.number().int().nonnegative().default(200),
    jitterMs: z.number().int().nonnegative().default(0),
    lossPct: z.number().min(0).max(100).default(0),
    /** random loss applied when the kernel has no netem (0 = fail instead) */
    fallbackLossPct: z.number().min(0).max(50).default(5),
  })
  .refine((p) => p.delayMs > 0 || p.lossPct > 0, { message: 'give delayMs or lossPct', path: ['delayMs'] });
type Params = z.infer<typeof schema>;
interface Entry extends UndoEntry {
  tasks: TaskRef[];
  mechanism?: string;
}

const IFACES = `ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'`;
const CHAIN = 'GAMEDAY_LOSS';

export function netemArgs(p: Params): string {
  return [p.delayMs ? `delay ${p.delayMs}ms${p.jitterMs ? ` ${p.jitterMs}ms` : ''}` : '', p.lossPct ? `loss ${p.lossPct}%` : ''].filter(Boolean).join(' ');
}

/** Shell script run in the netns; prints "mechanism=<netem|iptables-loss>". */
export function injectScript(p: Params): string {
  const prob = ((p.lossPct || p.fallbackLossPct) / 100).toFixed(4);
  const fallback =
    p.fallbackLossPct > 0 || p.lossPct > 0
      ? [
          `iptables -N ${CHAIN} 2>/dev/null || iptables -F ${CHAIN}`,
          `iptables -A ${CHAIN} -m statistic --mode random --probability ${prob} -j DROP`,
          `iptables -C INPUT ! -i lo -j ${CHAIN} 2>/dev/null || iptables -I INPUT 1 ! -i lo -j ${CHAIN}`,
          `iptables -C OUTPUT ! -o lo -j ${CHAIN} 2>/dev/null || iptables -I OUTPUT 1 ! -o lo -j ${CHAIN}`,
          'echo mechanism=iptables-loss',
        ].join(' && ')
      : `echo "this kernel has no sch_netem and fallbackLossPct is 0" >&2; exit 3`;
  return [
    'set -e',
    `ifs=$(${IFACES})`,
    'first=$(echo "$ifs" | head -n1)',
    `if tc qdisc replace dev "$first" root netem ${netemArgs(p)} 2>/dev/null; then`,
    `  for i in $ifs; do tc qdisc replace dev "$i" root netem ${netemArgs(p)}; done; echo mechanism=netem`,
    'else',
    `  ${fallback}`,
    'fi',
  ].join('\n');
}

export const UNDO_SCRIPT = [
  `for i in $(${IFACES}); do tc qdisc del dev "$i" root 2>/dev/null || true; done`,
  `while iptables -D INPUT ! -i lo -j ${CHAIN} 2>/dev/null; do :; done`,
  `while iptables -D OUTPUT ! -o lo -j ${CHAIN} 2>/dev/null; do :; done`,
  `iptables -F ${CHAIN} 2>/dev/null || true`,
  `iptables -X ${CHAIN} 2>/dev/null || true`,
].join('; ');

export const netem: Fault<Params, Entry> = {
  kind: 'netem',
  summary: "add latency/loss to a task's network (tc netem in its netns; iptables random loss where the kernel lacks netem); undo removes it",
  needsHost: true,
  schema,
  describe: (p) =>
    `degrade the network of ${p.count} task(s) of ${p.service}: tc netem ${netemArgs(p)}` +
    `${p.fallbackLossPct ? ` (kernel without netem: ${p.lossPct || p.fallbackLossPct}% random loss via iptables)` : ''}; undo: remove qdisc/rules`,
  targets: (p) => ({ services: [p.service], nodes: p.node ? [p.node] : [] }),
  async prepare(ctx, p, name) {
    return { kind: 'netem', name, params: p, tasks: await pickTaskRefs(ctx, p.service, p.count, p.node) };
  },
  async inject(ctx, entry) {
    const p = entry.params as unknown as Params;
    const mechanisms = new Set<string>();
    for (const t of entry.tasks) {
      const out = (await inNetns(ctx, t, injectScript(p))) ?? '';
      const mech = /mechanism=(\S+)/.exec(out)?.[1] ?? 'unknown';
      mechanisms.add(mech);
      ctx.log(`network of ${t.service}.${t.slot} (${t.node}) degraded via ${mech}`);
    }
    entry.mechanism = [...mechanisms].join(',');
    entry.notes = { mechanism: entry.mechanism };
    return entry;
  },
  async undo(ctx, entry) {
    for (const t of entry.tasks) await inNetns(ctx, t, UNDO_SCRIPT, false);
  },
};
