// Loads and validates the SLO file before k6 starts. k6 would accept a threshold on a metric or
// tag nobody emits and pass it with no data; here such an entry is a ConfigError naming it.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ENDPOINT_NAMES, METRICS, TAG_KEYS } from '../lib/catalog.ts';
import type { SloFile, ThresholdExpr } from '../lib/slo-types.ts';
import { expressionProblem, exprText, latencyAggregation, parseThresholdKey } from '../lib/thresholds.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { LOAD_DIR } from './bundle.ts';

export const DEFAULT_SLO_FILE = path.join(LOAD_DIR, 'slo.ts');

const ratio = z.number().min(0).max(1);
const expr = z.union([
  z.string(),
  z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().optional() }),
]);
const schema = z.strictObject({
  endpoints: z.record(
    z.string(),
    z.strictObject({
      latency: z.record(z.string(), z.number().positive()).optional(),
      errorRate: ratio.optional(),
      checks: ratio.optional(),
    }),
  ),
  thresholds: z.record(z.string(), z.array(expr).min(1)).optional(),
  generator: z.strictObject({ maxDroppedRatio: ratio }).optional(),
});

const q = (s: string) => JSON.stringify(s);
const pathText = (p: readonly PropertyKey[]) =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_]\w*$/.test(String(k)) ? `${i ? '.' : ''}${String(k)}` : `[${q(String(k))}]`)).join('');

/** Problems of one raw threshold entry (key + expressions), each naming the entry. */
export function thresholdProblems(key: string, exprs: ThresholdExpr[], where: string): string[] {
  const problems: string[] = [];
  const parsed = parseThresholdKey(key);
  if (!parsed) return [`${where}: expected "metric" or "metric{tag:value,...}", got ${q(key)}`];
  if (!(parsed.metric in METRICS)) {
    problems.push(`${where}: unknown metric ${q(parsed.metric)}; expected one of ${Object.keys(METRICS).join(', ')}`);
  }
  for (const [tag, value] of Object.entries(parsed.tags)) {
    if (!(TAG_KEYS as readonly string[]).includes(tag)) {
      problems.push(`${where}: unknown tag ${q(tag)}; expected one of ${TAG_KEYS.join(', ')}`);
    } else if (tag === 'endpoint' && !(ENDPOINT_NAMES as string[]).includes(value)) {
      problems.push(`${where}: unknown endpoint ${q(value)}; expected one of ${ENDPOINT_NAMES.join(', ')}`);
    }
  }
  if (parsed.metric in METRICS) {
    exprs.forEach((e, i) => {
      const p = expressionProblem(parsed.metric, exprText(e));
      if (p) problems.push(`${where}[${i}]: ${p}`);
    });
  }
  return problems;
}

/** Validates a raw SLO object; `label` names the file in errors. */
export function validateSlo(raw: unknown, label: string): SloFile {
  const res = schema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const where = pathText(i.path) || '(root)';
      if (i.code === 'unrecognized_keys') return `${where}: unknown key(s) ${i.keys.map(q).join(', ')}`;
      return `${where}: ${i.message}`;
    });
    throw new ConfigError(`SLO ${label}:\n  ${lines.join('\n  ')}`);
  }
  const slo = res.data as SloFile;
  const problems: string[] = [];
  for (const [ep, s] of Object.entries(slo.endpoints)) {
    const where = `endpoints[${q(ep)}]`;
    if (!(ENDPOINT_NAMES as string[]).includes(ep)) {
      problems.push(`${where}: unknown endpoint ${q(ep)}; expected one of ${ENDPOINT_NAMES.join(', ')}`);
    }
    for (const k of Object.keys(s?.latency ?? {})) {
      if (!latencyAggregation(k)) problems.push(`${where}.latency.${k}: expected p50, p90, p95, p99, p99.9, avg, med, min or max, got ${q(k)}`);
    }
  }
  for (const [key, exprs] of Object.entries(slo.thresholds ?? {})) {
    problems.push(...thresholdProblems(key, exprs, `thresholds[${q(key)}]`));
  }
  if (problems.length) throw new ConfigError(`SLO ${label}:\n  ${problems.join('\n  ')}`);
  return slo;
}

/** "--threshold metric{tag:v}=expr" -> [key, expr]. */
export function parseThresholdFlag(text: string, label = '--threshold'): [string, string] {
  // the expression itself may contain "<=", ">=" or "=="; split at the = that starts it
  const m = /^(.+?)=((?:avg|min|max|med|count|rate|value|p\([\d.]+\)).*)$/.exec(text.trim());
  if (!m) throw new ConfigError(`${label}: expected "metric{tag:value}=expression" like "http_req_duration{endpoint:api-list}=p(95)<300", got ${q(text)}`);
  const key = m[1].trim();
  const expression = m[2].trim();
  const problems = thresholdProblems(key, [expression], `${label} ${q(text)}`);
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return [key, expression];
}

/** Adds --threshold entries to an SLO (they add to, not replace, the file's thresholds). */
export function withExtraThresholds(slo: SloFile, extra: string[]): SloFile {
  if (!extra.length) return slo;
  const thresholds: Record<string, ThresholdExpr[]> = { ...(slo.thresholds ?? {}) };
  for (const t of extra) {
    const [key, e] = parseThresholdFlag(t);
    thresholds[key] = [...(thresholds[key] ?? []), e];
  }
  return { ...slo, thresholds };
}

/** Loads the SLO file: a module with a default export (.ts/.js/.mjs) or JSON. */
export async function loadSlo(file = DEFAULT_SLO_FILE): Promise<SloFile> {
  const abs = path.resolve(file);
  const label = path.relative(process.cwd(), abs) || abs;
  if (!fs.existsSync(abs)) throw new ConfigError(`--slo: expected an existing SLO file, got ${q(file)} (not found)`);
  let raw: unknown;
  try {
    if (abs.endsWith('.json')) raw = JSON.parse(fs.readFileSync(abs, 'utf8'));
    else {
      const mod = (await import(pathToFileURL(abs).href)) as { default?: unknown; slo?: unknown };
      raw = mod.default ?? mod.slo;
    }
  } catch (err) {
    throw new ConfigError(`SLO ${label}: could not be loaded`, { cause: err });
  }
  if (raw === undefined) throw new ConfigError(`SLO ${label}: expected a default export (the SLO object), got none`);
  return validateSlo(raw, label);
}
