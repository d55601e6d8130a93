// How much of this machine's CPU the hypervisor took away (steal) and how much was left idle over
// an interval, from /proc/stat. The integration tests run the app, its swarm and the load on one
// 2-core VM; with steal at 20-70 % (seen on CI machines), or no idle CPU left, the app's timing
// tolerances measure the machine, not the app.
import fs from 'node:fs';

export interface CpuTimes { total: number; steal: number; idle: number }

/** The aggregate "cpu" line of /proc/stat; undefined where there is none (not Linux). */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7]!, idle: f[3]! + f[4]! };
}

export function cpuTimes(): CpuTimes | undefined {
  try {
    return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

export interface CpuShare { stealPct: number; idlePct: number }

/** Steal and idle as percentages of the CPU time between two readings. */
export function cpuShare(from: CpuTimes | undefined, to: CpuTimes | undefined): CpuShare | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  const d = to.total - from.total;
  return { stealPct: (100 * (to.steal - from.steal)) / d, idlePct: (100 * (to.idle - from.idle)) / d };
}

export function formatShare(s: CpuShare | undefined): string {
  return s ? `steal ${s.stealPct.toFixed(1)} %, idle ${s.idlePct.toFixed(1)} %` : 'CPU shares unknown';
}

/** Samples /proc/stat every few seconds while a long run goes on, to tell the share within any window of it. */
export class CpuSampler {
  private readonly samples: { at: number; t: CpuTimes }[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly everyMs = 2000) {}

  start(): this {
    this.take();
    this.timer = setInterval(() => this.take(), this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): this {
    clearInterval(this.timer);
    this.take();
    return this;
  }

  /** the samples' share from the last one at or before `fromMs` to the first at or after `toMs` */
  shareBetween(fromMs: number, toMs: number): CpuShare | undefined {
    const from = [...this.samples].reverse().find((s) => s.at <= fromMs) ?? this.samples[0];
    const to = this.samples.find((s) => s.at >= toMs) ?? this.samples.at(-1);
    return cpuShare(from?.t, to?.t);
  }

  private take(): void {
    const t = cpuTimes();
    if (t) this.samples.push({ at: Date.now(), t });
  }
}
