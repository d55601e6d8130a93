// The experiment model: typed data, validated once with zod. An experiment names its targets, the
// steady state that must hold before and after, the method (faults and waits) and the tolerances
// its verdict is computed from. Rollbacks are implicit: every fault step is undone by its fault.
import { z } from 'zod';
import { zodConfigError, pathText } from '../scripts/lib/config-errors.ts';

/**
 * Every duration is bounded: Node's timers hold at most 2^31-1 ms (~24.8 days) and fire after
 * 1 ms beyond that, so an unbounded "wait 99999999999 ms" would not wait at all. No wait, hold,
 * phase, timeout or duration threshold of an experiment may exceed one hour.
 */
export const MAX_DURATION_MS = 3_600_000;

/** A duration in ms, 0..max (default 1 h); errors say so in words. */
export function durationMs(max = MAX_DURATION_MS, min = 0) {
  const range = `expected a duration in ms from ${min} to ${max}${max === MAX_DURATION_MS ? ' (1 h)' : ''}`;
  return z.number({ error: range }).int(`${range}, a whole number`).min(min, range).max(max, range);
}
const ms = durationMs();

/**
 * minAvailability is a PERCENT. A value from 0 to 1 is refused as ambiguous (0.99 reads like the
 * fraction 99 %, but as a percent it would mean 0.99 %); no useful tolerance lies there.
 */
export const AVAILABILITY_EXPECTED = 'a percent above 1 and at most 100 (e.g. 99.5 for 99.5 %)';
export const availabilityPercent = z.number({ error: `expected ${AVAILABILITY_EXPECTED}` }).superRefine((v, ctx) => {
  if (v > 1 && v <= 100) return;
  const asPct = Number((v * 100).toPrecision(12));
  ctx.addIssue({
    code: 'custom',
    message:
      v >= 0 && v <= 1
        ? `expected ${AVAILABILITY_EXPECTED}: the unit is percent, so ${v} would mean ${v} %; write ${asPct} for ${asPct} %`
        : `expected ${AVAILABILITY_EXPECTED}`,
  });
});

export const FaultStepSchema = z.object({
  type: z.literal('fault'),
  /** fault kind, one of chaos/faults/index.ts */
  fault: z.string().min(1),
  /** label used for the phase and the probe tag; defaults to "<kind>:<service|node>" */
  name: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  /** how long the fault stays in place before the next step (rollback comes after the last step) */
  holdMs: ms.default(0),
});

export const WaitStepSchema = z.object({
  type: z.literal('wait'),
  ms,
});

export const StepSchema = z.discriminatedUnion('type', [FaultStepSchema, WaitStepSchema]);

export const SteadyStateSchema = z.object({
  /** services that must be at their desired replicas with every task running (= healthy) */
  services: z.array(z.string().min(1)).default([]),
  /** ingress paths that must answer 2xx */
  ingress: z.array(z.string().startsWith('/')).default(['/api/healthz', '/']),
  /** every replica's IO and SQL threads running */
  replication: z.boolean().default(true),
});

export const TolerancesSchema = z.object({
  /** minimum availability of the probe in every phase, in PERCENT (99.5 = 99.5 %; 0..1 is refused as ambiguous) */
  minAvailability: availabilityPercent.optional(),
  /** maximum longest outage (first failure to next success) over all phases */
  maxOutageMs: ms.optional(),
  /** which requests availability/outage are judged on: reads+writes (default) or reads only */
  availabilityOf: z.enum(['all', 'reads']).default('all'),
  /** p95 latency of answered requests, in every phase */
  maxP95LatencyMs: ms.optional(),
  /** deliberate latency: the p95 of answered requests while the fault acts must exceed the
   *  before phase's p95 by at least this much (proves the fault took effect) */
  expectSlowerByMs: ms.optional(),
  /** longest stretch of failed creates (write ledger) while the fault acts */
  maxWriteOutageMs: ms.optional(),
  /** p95 of the heartbeat lag of every replica, during the fault phases */
  maxReplicaLagP95Ms: ms.optional(),
  /** time from the first injection until every target service is back at desired replicas */
  maxRecoveryMs: ms.optional(),
  /** deliberately bad variant: the verdict must REPORT downtime (failed requests), with its length */
  expectDowntime: z.boolean().optional(),
  /** replication deliberately stopped: the verdict must report a lagging replica */
  expectLagging: z.boolean().optional(),
  /** threshold above which a replica counts as lagging (used by expectLagging) */
  laggingAboveMs: ms.default(2000),
  /** a bad update: Swarm must have rolled it back by itself */
  expectRollback: z.boolean().optional(),
});

export const ExperimentSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case id with dashes'),
  title: z.string().min(1),
  description: z.string().default(''),
  /** services the faults act on: they must exist and be healthy before anything is injected */
  targets: z.object({ services: z.array(z.string().min(1)).default([]) }).default({ services: [] }),
  steadyState: SteadyStateSchema.default({ services: [], ingress: ['/api/healthz', '/'], replication: true }),
  method: z.array(StepSchema).min(1),
  tolerances: TolerancesSchema.default({ laggingAboveMs: 2000, availabilityOf: 'all' }),
  timing: z
    .object({
      /** measured steady phase before the first fault */
      beforeMs: ms.default(5000),
      /** measured phase after recovery */
      afterMs: ms.default(5000),
      /** give up waiting for recovery after this long */
      recoveryTimeoutMs: ms.default(90_000),
      /**
       * the final hypothesis check: it must hold in one check within this long (one slow answer
       * on a busy host after a recovery that held is not a deviation); 0 checks once
       */
      confirmMs: ms.default(10_000),
    })
    .default({ beforeMs: 5000, afterMs: 5000, recoveryTimeoutMs: 90_000, confirmMs: 10_000 }),
  /** blast radius: never kill more than this share of a service's tasks */
  maxShare: z.number().gt(0).max(1).default(0.5),
});

export type FaultStep = z.infer<typeof FaultStepSchema>;
export type WaitStep = z.infer<typeof WaitStepSchema>;
export type Step = z.infer<typeof StepSchema>;
export type SteadyState = z.infer<typeof SteadyStateSchema>;
export type Tolerances = z.infer<typeof TolerancesSchema>;
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;

/** Validates experiment data; the error names the experiment and the offending field. */
export function defineExperiment(input: ExperimentInput): Experiment {
  const parsed = ExperimentSchema.safeParse(input);
  if (!parsed.success) {
    throw zodConfigError(parsed.error, { source: (p) => `experiment ${JSON.stringify(input.id ?? '?')}: ${pathText(p) || '(root)'}`, input });
  }
  return parsed.data;
}

/** Phase name of a fault step: what probe samples are tagged with while it is active. */
export function stepName(step: FaultStep): string {
  if (step.name) return step.name;
  const p = step.params as Record<string, unknown>;
  const target = p.service ?? p.node ?? p.replica ?? '';
  return target ? `${step.fault}:${String(target)}` : step.fault;
}
