// handleSummary: k6's full JSON summary goes to the run folder (GAMEDAY_PLAN.summaryPath); stdout
// (k6.log) gets a compact threshold list. The human summary table is printed by Node afterwards.
import type { RunPlan } from './plan.ts';
import { isObserver } from './thresholds.ts';

interface SummaryMetric {
  thresholds?: Record<string, { ok: boolean }>;
}
interface SummaryData {
  metrics: Record<string, SummaryMetric>;
}

export function thresholdLines(data: SummaryData): string[] {
  const lines: string[] = [];
  for (const [name, m] of Object.entries(data.metrics ?? {})) {
    for (const [expr, r] of Object.entries(m.thresholds ?? {})) {
      if (isObserver(expr)) continue;
      lines.push(`${r.ok ? 'ok  ' : 'FAIL'} ${name}: ${expr}`);
    }
  }
  return lines.sort();
}

export function makeHandleSummary(plan: RunPlan) {
  return (data: SummaryData): Record<string, string> => {
    const out: Record<string, string> = {
      stdout: `\nthresholds (${plan.scenario}/${plan.profile}):\n${thresholdLines(data).map((l) => `  ${l}`).join('\n')}\n`,
    };
    if (plan.summaryPath) out[plan.summaryPath] = JSON.stringify(data, null, 1);
    return out;
  };
}
