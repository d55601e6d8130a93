// The end of a session, pure apart from writing the run folder's files: recorded samples ->
// verdicts per experiment (+ the game day's lost-write verdict), phase stats, the journal.
import {
  readJsonl,
  writeJson,
  type ChaosJournal,
  type GamedayJournal,
  type LagSample,
  type LostWriteResult,
  type ProbeSample,
  type Verdict,
  type WriteRecord,
} from '../scripts/lib/run-folder.ts';
import type { Experiment } from './model.ts';
import { phaseTable } from './output.ts';
import type { ExperimentResult } from './runner.ts';
import { evaluate } from './verdicts.ts';

export interface JudgeInput {
  dir: string;
  kind: 'chaos' | 'gameday';
  label: string;
  planFile?: string;
  experiments: Experiment[];
  results: ExperimentResult[];
  lostWrites?: LostWriteResult;
  lostWritesError?: string;
}

export function judgeSession(i: JudgeInput): { verdicts: Verdict[]; tables: string[]; journal: ChaosJournal } {
  const recorded = {
    probe: readJsonl<ProbeSample>(i.dir, 'probe.jsonl'),
    writes: readJsonl<WriteRecord>(i.dir, 'writes.jsonl'),
    lag: readJsonl<LagSample>(i.dir, 'lag.jsonl'),
  };
  const verdicts: Verdict[] = [];
  const stats: unknown[] = [];
  const tables: string[] = [];
  for (const [n, r] of i.results.entries()) {
    const exp = i.experiments[n]!;
    // one experiment: the lost-write check is its own; a game day checks once, at the end
    const ev = evaluate(exp, r.journal, { ...recorded, lostWrites: i.kind === 'chaos' ? i.lostWrites : undefined }, r.faultNotes);
    verdicts.push(...ev.verdicts);
    stats.push({ experiment: exp.id, phases: ev.phases, writePhases: ev.writePhases, lag: ev.lag, latency: ev.latency });
    if (ev.phases.length) tables.push(phaseTable(exp.id, ev.phases, ev.latency));
  }
  if (i.kind === 'gameday' && i.lostWrites) {
    const lw = i.lostWrites;
    verdicts.push({
      experiment: 'gameday',
      tolerance: 'no acknowledged write lost',
      ok: lw.ok,
      expected: 'lost = 0, unexpected = 0',
      actual: `${lw.acknowledged} acknowledged; lost ${lw.lost.length}${lw.lost.length ? ` (${lw.lost.slice(0, 10).join(', ')})` : ''}; unexpected ${lw.unexpected.length}`,
    });
  }
  if (i.lostWritesError) {
    verdicts.push({ experiment: i.label, tolerance: 'no acknowledged write lost', ok: false, expected: 'checked', actual: `not checked: ${i.lostWritesError}` });
  }

  const journal = i.kind === 'chaos' && i.results[0] ? i.results[0].journal : aggregateJournal(`gameday:${i.label}`, i.results);
  writeJson(i.dir, 'journal.json', journal);
  if (i.kind === 'gameday') {
    writeJson(i.dir, 'gameday.json', { plan: i.planFile ?? i.label, status: journal.status, experiments: i.results.map((r) => r.journal) } satisfies GamedayJournal);
  }
  writeJson(i.dir, 'verdicts.json', verdicts);
  writeJson(i.dir, 'phase-stats.json', stats);
  return { verdicts, tables, journal };
}

export function aggregateJournal(name: string, results: ExperimentResult[]): ChaosJournal {
  const js = results.map((r) => r.journal);
  const statuses = js.map((j) => j.status);
  const status: ChaosJournal['status'] = statuses.includes('interrupted')
    ? 'interrupted'
    : statuses.includes('failed')
      ? 'failed'
      : js.length && statuses.every((s) => s === 'aborted')
        ? 'aborted'
        : 'completed';
  const pre = (j: ChaosJournal, s: string) => `${j.experiment}/${s}`;
  return {
    experiment: name,
    status,
    deviated: js.some((j) => j.deviated),
    startedAt: js[0]?.startedAt ?? new Date().toISOString(),
    finishedAt: js[js.length - 1]?.finishedAt ?? new Date().toISOString(),
    steadyStateBefore: js[0]?.steadyStateBefore ?? { ok: false, details: ['no experiment ran'] },
    steadyStateAfter: js[js.length - 1]?.steadyStateAfter,
    faults: js.flatMap((j) => j.faults.map((f) => ({ ...f, name: pre(j, f.name) }))),
    phases: js.flatMap((j) => j.phases.map((p) => ({ ...p, name: pre(j, p.name) }))),
    rollbacks: js.flatMap((j) => j.rollbacks.map((r) => ({ ...r, fault: pre(j, r.fault) }))),
    recovery: js.flatMap((j) => (j.recovery ?? []).map((r) => ({ ...r, service: pre(j, r.service) }))),
    error: js
      .filter((j) => j.error)
      .map((j) => `${j.experiment}: ${j.error}`)
      .join('; ') || undefined,
  };
}

