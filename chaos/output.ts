// What a person sees: a progress line while the run goes, and tables at the end. Rendering is
// pure (strings); the caller writes them.
import Table from 'cli-table3';
import pc from 'picocolors';
import type { Verdict } from '../scripts/lib/run-folder.ts';
import type { PhaseStat } from './measure/phase-stats.ts';
import type { LatencyStat } from './latency.ts';

// cli-table3 colours head and border unconditionally; pass/FAIL use picocolors (NO_COLOR, TTY aware)
const PLAIN = { head: [] as string[], border: [] as string[] };

export function verdictTable(verdicts: Verdict[]): string {
  const t = new Table({ head: ['experiment', 'tolerance', 'expected', 'actual', 'result'], wordWrap: true, colWidths: [30, 34, 22, 60, 8], style: PLAIN });
  for (const v of verdicts) t.push([v.experiment, v.tolerance, v.expected, v.actual, v.ok ? pc.green('pass') : pc.red('FAIL')]);
  return t.toString();
}

export function phaseTable(experiment: string, phases: PhaseStat[], latency: LatencyStat[] = []): string {
  const t = new Table({ head: ['phase', 'requests', 'failed', 'availability', 'longest outage', 'p50 / p95 ms', 'failed by kind'], wordWrap: true, style: PLAIN });
  for (const p of phases) {
    const l = latency.find((x) => x.phase === p.phase);
    t.push([
      `${experiment}/${p.phase}`,
      String(p.requests),
      String(p.failed),
      p.availability === null ? 'n/a' : `${(p.availability * 100).toFixed(2)}%`,
      `${p.longestOutageMs} ms`,
      l && l.p50Ms !== null ? `${l.p50Ms} / ${l.p95Ms}` : 'n/a',
      Object.entries(p.failedByKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
  }
  return t.toString();
}

export interface ProgressState {
  experiment: string;
  phase: string;
  startedAt: number;
  phaseStartedAt: number;
  live?: () => { requests: number; errors: number; lastError?: string; writes?: { attempted: number; acknowledged: number; failed: number } };
}

export function progressLine(s: ProgressState, now = Date.now()): string {
  const l = s.live?.();
  const secs = (ms: number) => `${(ms / 1000).toFixed(0)}s`;
  return (
    `[${secs(now - s.startedAt)}] ${s.experiment} ${s.phase} (${secs(now - s.phaseStartedAt)})` +
    (l ? ` | probe ${l.requests} req, ${l.errors} err${l.lastError ? ` (last: ${l.lastError.slice(0, 60)})` : ''}` : '') +
    (l?.writes ? ` | writes ${l.writes.acknowledged}/${l.writes.attempted} ack` : '')
  );
}

/** Prints the progress line every few seconds (rewritten in place on a terminal). */
export class Progress {
  private timer?: NodeJS.Timeout;
  readonly state: ProgressState;
  constructor(
    experiment: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    const t = Date.now();
    this.state = { experiment, phase: 'starting', startedAt: t, phaseStartedAt: t };
  }
  start(live: ProgressState['live']): void {
    this.state.live = live;
    const tty = Boolean(this.out.isTTY);
    this.timer = setInterval(() => this.print(tty), tty ? 1000 : 10_000);
    this.timer.unref();
  }
  phase(experiment: string, phase: string): void {
    this.state.experiment = experiment;
    this.state.phase = phase;
    this.state.phaseStartedAt = Date.now();
    this.print(Boolean(this.out.isTTY), true);
  }
  /** a log line: clears the in-place progress line first */
  log(line: string): void {
    if (this.out.isTTY) this.out.write('\r\x1b[K');
    this.out.write(`  ${line}\n`);
  }
  private print(tty: boolean, newline = false): void {
    const line = progressLine(this.state);
    if (tty && !newline) this.out.write(`\r\x1b[K${pc.dim(line)}`);
    else this.out.write(`${tty ? '\r\x1b[K' : ''}${pc.cyan('»')} ${line}\n`);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY) this.out.write('\r\x1b[K');
  }
}
