// Game-day plans: a YAML list of experiments (by id) with optional per-entry overrides of timing
// and tolerances, or new experiments defined in the plan from the fault kinds (an entry with its
// own `id` and `method`). Experiments name roles; bindPlan maps them onto the target's services.
// Validated once; an error names the file, the entry and the field.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../scripts/lib/errors.ts';
import { pathText, zodIssueLines } from '../scripts/lib/config-errors.ts';
import { experiments as registry } from './experiments/index.ts';
import { ExperimentSchema, TolerancesSchema, type Experiment } from './model.ts';
import { ALL_ROLES } from './experiments/common.ts';
import { bindExperiment } from './targets/bind.ts';
import type { AppTarget } from './targets/schema.ts';
import type { FaultRegistry } from './faults/index.ts';

export const DEFAULT_PLAN = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'plans', 'default.yaml');

const OverrideSchema = z
  .object({
    experiment: z.string().min(1),
    timing: z.record(z.string(), z.unknown()).optional(),
    tolerances: z.record(z.string(), z.unknown()).optional(),
    maxShare: z.number().gt(0).max(1).optional(),
  })
  .strict();
/** an entry: a built-in id, an override of one, or (with its own `id`) a new experiment, each checked below */
const EntrySchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
  error: 'expected an experiment id, {experiment: id, timing?, tolerances?, maxShare?} or a new experiment {id, title, method, tolerances?, ...}',
});

const PlanSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case name with dashes'),
    description: z.string().optional(),
    experiments: z.array(EntrySchema).min(1),
  })
  .strict();

export interface GamedayPlan {
  name: string;
  file: string;
  /** as written: roles, not services (bindPlan maps them) */
  experiments: Experiment[];
  /** how errors name each experiment: `plan FILE: experiments[i]` */
  where: string[];
}

const EXPERIMENT_KEYS = Object.keys(ExperimentSchema.shape);

/** keys an object of the plan accepts, for "unknown key" errors */
function planKeys(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return Object.keys(PlanSchema.shape);
  return undefined;
}

function fail(file: string, where: string, message: string, cause?: unknown): never {
  throw new ConfigError(`plan ${file}: ${where}: ${message}`, { cause });
}

/** `source` names where the path came from (flag, variable or config-file key) in the error. */
export function loadPlan(file: string, source = '--plan'): GamedayPlan {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source}: expected a readable YAML file, got ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    fail(file, '(file)', `not valid YAML: ${(err as Error).message.split('\n')[0]}`, err);
  }
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(zodIssueLines(parsed.error, { source: (p) => `plan ${file}: ${pathText(p) || '(root)'}`, input: raw, knownKeys: planKeys }).join('\n'));
  }
  const out: Experiment[] = parsed.data.experiments.map((entry, i) => {
    const where = `experiments[${i}]`;
    if (typeof entry === 'object' && 'id' in entry) return defineInPlan(file, where, entry as Record<string, unknown>);
    let e: z.infer<typeof OverrideSchema>;
    if (typeof entry === 'string') e = { experiment: entry };
    else {
      const o = OverrideSchema.safeParse(entry);
      if (!o.success) {
        throw new ConfigError(
          zodIssueLines(o.error, { source: (p) => `plan ${file}: ${where}${p.length ? `.${pathText(p)}` : ''}`, input: entry, knownKeys: (p) => (p.length ? undefined : [...Object.keys(OverrideSchema.shape), '(or a new experiment with id)']) }).join('\n'),
        );
      }
      e = o.data;
    }
    const base = registry.get(e.experiment);
    if (!base) fail(file, `${where}.experiment`, `expected one of ${[...registry.keys()].join(', ')}, got ${JSON.stringify(e.experiment)}`);
    for (const [section, known] of [
      ['timing', Object.keys(ExperimentSchema.shape.timing.unwrap().shape)],
      ['tolerances', Object.keys(TolerancesSchema.shape)],
    ] as const) {
      for (const k of Object.keys(e[section] ?? {})) {
        if (!known.includes(k)) fail(file, `${where}.${section}.${k}`, `unknown field; expected one of ${known.join(', ')}`);
      }
    }
    const merged = {
      ...base,
      timing: { ...base.timing, ...(e.timing ?? {}) },
      tolerances: { ...base.tolerances, ...(e.tolerances ?? {}) },
      maxShare: e.maxShare ?? base.maxShare,
    };
    const checked = ExperimentSchema.safeParse(merged);
    if (!checked.success) {
      throw new ConfigError(zodIssueLines(checked.error, { source: (p) => `plan ${file}: ${where} (${e.experiment}).${pathText(p)}`, input: merged }).join('\n'));
    }
    return checked.data;
  });
  return { name: parsed.data.name, file, experiments: out, where: out.map((_, i) => `plan ${file}: experiments[${i}]`) };
}

/** A new experiment written in the plan from the fault kinds; its steady state defaults to every role. */
function defineInPlan(file: string, where: string, raw: Record<string, unknown>): Experiment {
  for (const k of Object.keys(raw)) {
    if (!EXPERIMENT_KEYS.includes(k)) fail(file, `${where}.${k}`, `unknown key; expected one of ${EXPERIMENT_KEYS.join(', ')}, got ${JSON.stringify(k)}`);
  }
  if (typeof raw.id === 'string' && registry.has(raw.id)) {
    fail(file, `${where}.id`, `expected an id no built-in experiment has (or {experiment: ${raw.id}} to re-time the built-in one), got ${JSON.stringify(raw.id)}`);
  }
  const input = { steadyState: { services: ALL_ROLES }, ...raw };
  const checked = ExperimentSchema.safeParse(input);
  if (!checked.success) {
    throw new ConfigError(zodIssueLines(checked.error, { source: (p) => `plan ${file}: ${where}.${pathText(p)}`, input }).join('\n'));
  }
  return checked.data;
}

/** The plan's experiments on a target: roles mapped, every fault's params checked (exit 2 naming the key). */
export function bindPlan(plan: GamedayPlan, target: AppTarget, faults: FaultRegistry): Experiment[] {
  return plan.experiments.map((e, i) => bindExperiment(e, target, faults, plan.where[i] ?? `experiment ${e.id}`));
}
