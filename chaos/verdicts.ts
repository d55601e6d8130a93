// Pure: tolerances x recorded measurements -> one Verdict per tolerance, each with its figures.
// Availability and outages come from the probe (per phase), lag from the heartbeat sampler,
// lost writes from the post-run check, recovery from the convergence watcher.
import type { ChaosJournal, LagSample, LostWriteResult, ProbeSample, Verdict, WriteRecord } from '../scripts/lib/run-folder.ts';
import { outages, phaseStats, type PhaseStat } from './measure/phase-stats.ts';
import { lagStats, type LagStat } from './measure/lag-stats.ts';
import type { Experiment } from './model.ts';
import { latencyByPhase, type LatencyStat } from './latency.ts';

export const WRITE_ENDPOINT = 'api-create';

/** Creates of the write ledger as probe samples: users see failed writes too. */
export function writesAsSamples(writes: WriteRecord[]): ProbeSample[] {
  return writes.map((w) => ({
    t: w.t,
    endpoint: WRITE_ENDPOINT,
    conn: 'keepalive',
    ok: w.acknowledged,
    status: w.status,
    error: w.acknowledged ? undefined : (w.error ?? 'status'),
    ms: w.ms ?? 0,
    fault: w.fault,
  }));
}

export interface RecordedRun {
  probe: ProbeSample[];
  writes: WriteRecord[];
  lag: LagSample[];
  lostWrites?: LostWriteResult;
}

/** The longest outage within the experiment's time frame, NOT clipped at phase boundaries. */
export function longestInWindow(samples: ProbeSample[], phases: { start: number; end: number }[]): LongestOutage | undefined {
  if (!phases.length) return undefined;
  const from = Math.min(...phases.map((p) => p.start));
  const to = Math.max(...phases.map((p) => p.end));
  const o = outages(samples.filter((x) => x.t >= from && x.t <= to)).sort((a, b) => b.end - b.start - (a.end - a.start))[0];
  return o ? { ms: o.end - o.start, stream: o.stream, start: o.start, end: o.end, failed: o.failed } : undefined;
}

export interface LongestOutage {
  ms: number;
  stream: string;
  start: number;
  end: number;
  failed: number;
}

/** Recorded samples + journal -> verdicts of one experiment (its own phases only). */
export function evaluate(experiment: Experiment, journal: ChaosJournal, rec: RecordedRun, faultNotes: Record<string, unknown>[]): {
  verdicts: Verdict[];
  phases: PhaseStat[];
  writePhases: PhaseStat[];
  lag: LagStat[];
  latency: LatencyStat[];
} {
  const phasesOf = journal.phases.filter((p) => p.end > p.start);
  const writeSamples = writesAsSamples(rec.writes);
  const judged = experiment.tolerances.availabilityOf === 'reads' ? rec.probe : [...rec.probe, ...writeSamples];
  const phases = phasesOf.length ? phaseStats(judged, phasesOf) : [];
  const writePhases = phasesOf.length ? phaseStats(writeSamples, phasesOf) : [];
  const lag = phasesOf.length ? lagStats(rec.lag, phasesOf) : [];
  const longest = longestInWindow(judged, phasesOf);
  const writeLongest = longestInWindow(writeSamples, phasesOf);
  const latency = latencyByPhase(judged, phasesOf);
  const verdicts = computeVerdicts({
    experiment, journal, phases, writePhases, lag, latency, lostWrites: rec.lostWrites, faultNotes, longestOutage: longest, longestWriteOutage: writeLongest,
  });
  return { verdicts, phases, writePhases, lag, latency };
}

export interface VerdictInput {
  experiment: Experiment;
  journal: ChaosJournal;
  /** phase stats of THIS experiment's phases */
  phases: PhaseStat[];
  /** phase stats of the write ledger's creates alone */
  writePhases?: PhaseStat[];
  lag: LagStat[];
  /** absent: not checked for this experiment (a game day checks once at the end) */
  lostWrites?: LostWriteResult;
  /** notes the faults recorded while injecting (e.g. the final state of a bad update) */
  faultNotes: Record<string, unknown>[];
  /** longest outage over the whole experiment (phase stats clip outages at phase boundaries) */
  longestOutage?: LongestOutage;
  /** the same for the write ledger's creates alone */
  longestWriteOutage?: LongestOutage;
  /** latency of answered requests per phase */
  latency?: LatencyStat[];
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
const secs = (msec: number | null | undefined): string => (msec === null || msec === undefined ? 'never' : `${(msec / 1000).toFixed(1)} s`);

const ms0 = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : String(Math.round(x)));

const isFaultish = (phase: string): boolean => phase.startsWith('fault:') || phase === 'recovery';

/** Worst phase by availability (ignoring unmeasured phases). */
function worstPhase(phases: PhaseStat[]): PhaseStat | undefined {
  return phases.filter((p) => p.availability !== null).sort((a, b) => (a.availability ?? 1) - (b.availability ?? 1))[0];
}

function longestOutage(phases: PhaseStat[]): PhaseStat | undefined {
  return [...phases].sort((a, b) => b.longestOutageMs - a.longestOutageMs)[0];
}

function describeOutage(phases: PhaseStat[], overall?: LongestOutage): string {
  const failed = phases.reduce((n, p) => n + p.failed, 0);
  const requests = phases.reduce((n, p) => n + p.requests, 0);
  const lo = longestOutage(phases);
  const kinds: Record<string, number> = {};
  for (const p of phases) for (const [k, v] of Object.entries(p.failedByKind)) kinds[k] = (kinds[k] ?? 0) + (v ?? 0);
  const kindText = Object.entries(kinds)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const where = (t: number) => phases.find((p) => t >= p.start && t < p.end)?.phase ?? phases[phases.length - 1]?.phase;
  if (overall && overall.ms >= (lo?.longestOutageMs ?? 0)) {
    return `${failed}/${requests} failed${kindText ? ` (${kindText})` : ''}; longest outage ${overall.ms} ms from ${where(overall.start)} on ${overall.stream}`;
  }
  return (
    `${failed}/${requests} failed${kindText ? ` (${kindText})` : ''}; longest outage ${lo?.longestOutageMs ?? 0} ms` +
    `${lo?.longestOutageMs ? ` in ${lo.phase}${lo.longestOutageStream ? ` on ${lo.longestOutageStream}` : ''}` : ''}`
  );
}

export function computeVerdicts(input: VerdictInput): Verdict[] {
  const { experiment: exp, journal, phases, lag, lostWrites } = input;
  const tol = exp.tolerances;
  const out: Verdict[] = [];
  const add = (tolerance: string, ok: boolean, expected: string, actual: string) =>
    out.push({ experiment: exp.id, tolerance, ok, expected, actual });

  add('run completed', journal.status === 'completed', 'completed', journal.status + (journal.error ? `: ${journal.error}` : ''));
  const rolledBackOk = journal.rollbacks.every((r) => r.ok);
  if (journal.rollbacks.length) {
    add(
      'every fault undone',
      rolledBackOk,
      `${journal.rollbacks.length} rollback(s) ok`,
      rolledBackOk ? 'all ok' : journal.rollbacks.filter((r) => !r.ok).map((r) => `${r.fault}: ${r.error}`).join('; '),
    );
  }
  if (journal.status === 'aborted') return out;

  add(
    'steady state after',
    journal.steadyStateAfter?.ok === true,
    'holds',
    journal.steadyStateAfter ? (journal.steadyStateAfter.ok ? 'holds' : journal.steadyStateAfter.details.join('; ')) : 'not checked',
  );

  const measured = phases.filter((p) => p.availability !== null);
  const duringFault = phases.filter((p) => isFaultish(p.phase));

  if (tol.expectDowntime) {
    // the deliberately bad variant: passing means the suite SAW the downtime and measured it
    const failed = duringFault.reduce((n, p) => n + p.failed, 0);
    add('downtime is reported (deliberately bad variant)', failed > 0, 'failed requests > 0 while the fault acts', describeOutage(duringFault, input.longestOutage));
  } else {
    if (tol.minAvailability !== undefined) {
      const worst = worstPhase(measured);
      const ok = measured.length > 0 && measured.every((p) => (p.availability ?? 0) * 100 >= tol.minAvailability!);
      add(
        `availability >= ${tol.minAvailability}% in every phase`,
        ok,
        `>= ${tol.minAvailability}%`,
        measured.length ? `worst ${pct(worst?.availability ?? null)} in ${worst?.phase}; ${describeOutage(phases, input.longestOutage)}` : 'no probe samples',
      );
    }
    if (tol.maxOutageMs !== undefined) {
      const lo = longestOutage(phases);
      const ms = Math.max(lo?.longestOutageMs ?? 0, input.longestOutage?.ms ?? 0);
      const stream = input.longestOutage && input.longestOutage.ms >= (lo?.longestOutageMs ?? 0) ? input.longestOutage.stream : lo?.longestOutageStream;
      const phase = input.longestOutage && input.longestOutage.ms >= (lo?.longestOutageMs ?? 0) ? phases.find((p) => input.longestOutage!.start >= p.start && input.longestOutage!.start < p.end)?.phase : lo?.phase;
      add(
        `longest outage <= ${tol.maxOutageMs} ms`,
        measured.length > 0 && ms <= tol.maxOutageMs,
        `<= ${tol.maxOutageMs} ms`,
        measured.length ? `${ms} ms${ms ? ` (${phase}, ${stream})` : ''}` : 'no probe samples',
      );
    }
  }

  if (tol.maxP95LatencyMs !== undefined) {
    const lat = (input.latency ?? []).filter((l) => l.p95Ms !== null);
    const worst = [...lat].sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0))[0];
    add(
      `p95 latency <= ${tol.maxP95LatencyMs} ms in every phase`,
      lat.length > 0 && lat.every((l) => (l.p95Ms ?? 0) <= tol.maxP95LatencyMs!),
      `<= ${tol.maxP95LatencyMs} ms`,
      worst ? `worst p95 ${worst.p95Ms} ms (p50 ${worst.p50Ms} ms, max ${worst.maxMs} ms) in ${worst.phase}` : 'no answered requests',
    );
  }

  const faultLag = lag.filter((l) => l.phase.startsWith('fault:'));
  if (tol.expectSlowerByMs !== undefined) {
    // the fault must be visible: a latency fault that changes nothing measures nothing
    const lat = input.latency ?? [];
    const before = lat.find((l) => l.phase === 'before')?.p95Ms ?? null;
    const during = lat.filter((l) => l.phase.startsWith('fault:') && l.p95Ms !== null).sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0))[0];
    const rise = before !== null && during?.p95Ms != null ? during.p95Ms - before : null;
    add(
      `latency rises by >= ${tol.expectSlowerByMs} ms while the fault acts`,
      rise !== null && rise >= tol.expectSlowerByMs,
      `p95 +${tol.expectSlowerByMs} ms or more`,
      rise === null ? 'no answered requests to compare' : `p95 ${before} ms before, ${during!.p95Ms} ms in ${during!.phase} (${rise >= 0 ? '+' : ''}${rise} ms)`,
    );
  }

  if (tol.expectLagging) {
    const lagging = faultLag.filter((l) => l.stopped || (l.maxLagMs ?? 0) > tol.laggingAboveMs || (l.measured === 0 && l.samples > 0));
    add(
      'a lagging replica is reported',
      lagging.length > 0,
      `replication stopped or lag > ${tol.laggingAboveMs} ms`,
      lagging.length
        ? lagging.map((l) => `${l.replica}: max ${ms0(l.maxLagMs)} ms, stopped ${l.stoppedSamples}/${l.samples} samples`).join('; ')
        : faultLag.length
          ? `no replica lagged (max ${ms0(Math.max(0, ...faultLag.map((l) => l.maxLagMs ?? 0)))} ms)`
          : 'no lag samples during the fault',
    );
  } else if (tol.maxReplicaLagP95Ms !== undefined) {
    const worst = [...faultLag].sort((a, b) => (b.p95LagMs ?? Infinity) - (a.p95LagMs ?? Infinity))[0];
    const ok = faultLag.length > 0 && faultLag.every((l) => l.p95LagMs !== null && l.p95LagMs <= tol.maxReplicaLagP95Ms!);
    add(
      `replica heartbeat lag p95 <= ${tol.maxReplicaLagP95Ms} ms in the fault phases`,
      ok,
      `<= ${tol.maxReplicaLagP95Ms} ms`,
      worst ? `worst ${worst.replica}: p95 ${ms0(worst.p95LagMs)} ms (max ${ms0(worst.maxLagMs)} ms) in ${worst.phase}` : 'no lag samples',
    );
  }

  if (tol.maxRecoveryMs !== undefined) {
    const rec = journal.recovery ?? [];
    const worst = [...rec].sort((a, b) => (b.backAtDesiredMs ?? Infinity) - (a.backAtDesiredMs ?? Infinity))[0];
    const ok = rec.length > 0 && rec.every((r) => r.backAtDesiredMs !== null && r.backAtDesiredMs <= tol.maxRecoveryMs!);
    add(
      `back at desired replicas within ${secs(tol.maxRecoveryMs)}`,
      ok,
      `<= ${tol.maxRecoveryMs} ms`,
      worst ? rec.map((r) => `${r.service} ${secs(r.backAtDesiredMs)}`).join(', ') : 'no recovery data',
    );
  }

  if (tol.maxWriteOutageMs !== undefined) {
    const w = (input.writePhases ?? []).filter((p) => isFaultish(p.phase));
    const ms = Math.max(longestOutage(w)?.longestOutageMs ?? 0, input.longestWriteOutage?.ms ?? 0);
    const requests = w.reduce((n, p) => n + p.requests, 0);
    add(
      `write outage <= ${secs(tol.maxWriteOutageMs)}`,
      requests > 0 && ms <= tol.maxWriteOutageMs,
      `<= ${tol.maxWriteOutageMs} ms`,
      requests ? `longest write outage ${ms} ms; ${describeOutage(w, input.longestWriteOutage)}` : 'no writes measured',
    );
  }

  if (tol.expectRollback) {
    const states = input.faultNotes.map((n) => n.updateState).filter(Boolean);
    const ok = states.length > 0 && states.every((s) => s === 'rollback_completed');
    add('Swarm rolled the bad update back', ok, 'rollback_completed', states.length ? states.join(', ') : 'no update observed');
  }

  if (lostWrites) {
    // zero lost acknowledged writes is not a tolerance one can relax
    add(
      'no acknowledged write lost',
      lostWrites.ok,
      'lost = 0, unexpected = 0',
      `${lostWrites.acknowledged} acknowledged; lost ${lostWrites.lost.length}${lostWrites.lost.length ? ` (${lostWrites.lost.slice(0, 10).join(', ')})` : ''}; ` +
        `unexpected ${lostWrites.unexpected.length}` +
        (lostWrites.caughtUp === false ? '; replicas had not caught up' : ''),
    );
    // every ledger create carries an Idempotency-Key: a row stored twice means a re-sent create
    // ran twice, a duplicate item a user would see
    const dup = lostWrites.duplicated ?? [];
    add('no write stored twice', dup.length === 0, 'duplicated = 0', `duplicated ${dup.length}${dup.length ? ` (${dup.slice(0, 5).join(', ')})` : ''}`);
  }
  return out;
}

export function verdictOk(verdicts: Verdict[]): boolean {
  return verdicts.length > 0 && verdicts.every((v) => v.ok);
}
