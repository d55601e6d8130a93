// Number and text formatting shared by the renderers. Pure.
import type { RunResult, Threshold } from '../model.ts';

export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0 ms';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

export function fmtPct(ratio: number | null | undefined, digits = 2): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function fmtNum(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m} min ${rest} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtBytes(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Clock time of an epoch-ms instant (UTC, as k6 and the journal record it). */
export function fmtClock(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return '–';
  return new Date(t).toISOString().slice(11, 19);
}

/** The measured value of a threshold in its unit. */
export function fmtThresholdActual(t: Threshold): string {
  if (t.actual === null) return 'n/a';
  if (t.unit === 'ms') return fmtMs(t.actual);
  if (t.unit === 'ratio') return fmtPct(t.actual, t.actual > 0 && t.actual < 0.001 ? 4 : 2);
  return fmtNum(t.actual, 3);
}

/** What went wrong with a failed threshold, with both numbers. */
export function thresholdFailureText(t: Threshold): string {
  const limit = t.limit === null ? '' : t.unit === 'ms' ? fmtMs(t.limit) : t.unit === 'ratio' ? fmtPct(t.limit) : fmtNum(t.limit, 3);
  const actual = fmtThresholdActual(t);
  return `${t.aggregation ?? 'value'} = ${actual}, required ${t.operator ?? ''} ${limit}`.replace(/\s+/g, ' ').trim();
}

export function visibleThresholds(r: RunResult): Threshold[] {
  return (r.k6?.thresholds ?? []).filter((t) => !t.observer);
}

export const VERDICT_LABEL: Record<RunResult['verdict']['status'], string> = {
  pass: 'PASS',
  fail: 'FAIL',
  incomplete: 'INCOMPLETE',
  unknown: 'NO VERDICT',
};

/** True when the run was cut short: INCOMPLETE marker, still "running", or closed as interrupted/aborted. */
export function isInterrupted(r: RunResult): boolean {
  return !r.run.complete || r.run.status === 'interrupted' || r.run.status === 'aborted';
}

export function runTitle(r: RunResult): string {
  const what = [r.run.experiment ?? r.run.plan, r.run.scenario, r.run.profile].filter(Boolean).join(' / ');
  return `${r.run.kind} run${what ? ` — ${what}` : ''}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
