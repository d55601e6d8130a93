// Game-day plans: a YAML list of experiments (by id) with optional per-entry overrides of timing
// and tolerances. Validated once; an error names the file, the entry and the field.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../scripts/lib/errors.ts';
import { pathText, zodIssueLines } from '../scripts/lib/config-errors.ts';
import { experiments as registry } from './experiments/index.ts';
import { ExperimentSchema, TolerancesSchema, type Experiment } from './model.ts';

export const DEFAULT_PLAN = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'plans', 'default.yaml');

const EntrySchema = z.union([
  z.string().min(1),
  z
    .object({
      experiment: z.string().min(1),
      timing: z.record(z.string(), z.unknown()).optional(),
      tolerances: z.record(z.string(), z.unknown()).optional(),
      maxShare: z.number().gt(0).max(1).optional(),
    })
    .strict(),
]);

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
  experiments: Experiment[];
}

/** keys an object of the plan accepts, for "unknown key" errors */
function planKeys(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return Object.keys(PlanSchema.shape);
  if (path.length === 2 && path[0] === 'experiments') return ['experiment', 'timing', 'tolerances', 'maxShare'];
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
    const e = typeof entry === 'string' ? { experiment: entry } : entry;
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
  return { name: parsed.data.name, file, experiments: out };
}
