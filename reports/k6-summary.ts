// Parses k6's end-of-test summary: the handleSummary data object (k6 v1.x, what load/ writes) and,
// for robustness, the legacy --summary-export format. Pure: JSON value in, normalized data out.
//
// handleSummary:   metrics[name] = { type, contains, values: { "p(95)": .., rate, count, .. },
//                                    thresholds?: { "p(95)<300": { ok: true } } }
// --summary-export: metrics[name] = { "p(95)": .., value (rate), count, ..,
//                                    thresholds?: { "p(95)<300": false } }   (true = FAILED there)
import type { LatencyStats, Threshold } from './model.ts';

export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';

export interface ParsedMetric {
  name: string;
  base: string; // metric name without the {tag:value} selector
  tags: Record<string, string>; // submetric selector
  type: MetricType;
  contains: string; // time | data | default
  values: Record<string, number>;
}

export interface ParsedSummary {
  format: 'handleSummary' | 'summary-export';
  durationMs: number | null;
  metrics: Map<string, ParsedMetric>;
  thresholds: Threshold[];
  checks: { path: string; name: string; passes: number; fails: number }[];
}

/** `http_req_duration{endpoint:api-list,method:GET}` -> base + tags. */
export function parseMetricName(name: string): { base: string; tags: Record<string, string> } {
  const open = name.indexOf('{');
  if (open < 0 || !name.endsWith('}')) return { base: name, tags: {} };
  const tags: Record<string, string> = {};
  for (const pair of name.slice(open + 1, -1).split(',')) {
    const colon = pair.indexOf(':');
    if (colon < 0) continue;
    tags[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
  }
  return { base: name.slice(0, open), tags };
}

const THRESHOLD_RE = /^\s*(p\(\s*\d+(?:\.\d+)?\s*\)|avg|min|max|med|count|rate|value)\s*(<=|>=|<|>|===|==|!=)\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*$/i;

export function parseThresholdExpression(expr: string): { aggregation: string; operator: string; limit: number } | null {
  const m = THRESHOLD_RE.exec(expr);
  if (!m) return null;
  return { aggregation: m[1].replace(/\s+/g, ''), operator: m[2], limit: Number(m[3]) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numericValues(obj: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

function inferType(values: Record<string, number>): MetricType {
  if ('passes' in values || 'fails' in values) return 'rate';
  if ('avg' in values || 'med' in values) return 'trend';
  if ('count' in values) return 'counter';
  return 'gauge';
}

function unitOf(m: ParsedMetric | undefined): Threshold['unit'] {
  if (!m) return 'other';
  if (m.type === 'trend' && m.contains === 'time') return 'ms';
  if (m.type === 'rate') return 'ratio';
  if (m.type === 'counter') return 'count';
  return 'other';
}

/** Throws a plain Error on a value that is not a k6 summary; the I/O layer wraps it. */
export function parseK6Summary(data: unknown): ParsedSummary {
  if (!isRecord(data) || !isRecord(data.metrics)) throw new Error('expected an object with "metrics" (k6 summary)');
  const metrics = new Map<string, ParsedMetric>();
  const rawThresholds: { metric: string; expression: string; ok: boolean }[] = [];
  let format: ParsedSummary['format'] = 'handleSummary';

  for (const [name, raw] of Object.entries(data.metrics)) {
    if (!isRecord(raw)) continue;
    const { base, tags } = parseMetricName(name);
    let values: Record<string, number>;
    if (isRecord(raw.values)) {
      values = numericValues(raw.values);
      if (isRecord(raw.thresholds))
        for (const [expression, res] of Object.entries(raw.thresholds))
          rawThresholds.push({ metric: name, expression, ok: isRecord(res) ? res.ok !== false : res !== false });
    } else {
      format = 'summary-export';
      values = numericValues(raw);
      // summary-export reports a rate's value as "value"; normalize to handleSummary's "rate"
      if ('passes' in values && 'value' in values) {
        values.rate = values.value;
        delete values.value;
      }
      if (isRecord(raw.thresholds))
        for (const [expression, failed] of Object.entries(raw.thresholds))
          rawThresholds.push({ metric: name, expression, ok: failed !== true });
    }
    const type = (['trend', 'rate', 'counter', 'gauge'].includes(String(raw.type)) ? raw.type : inferType(values)) as MetricType;
    const contains = typeof raw.contains === 'string' ? raw.contains : type === 'trend' && base.startsWith('http_req') ? 'time' : 'default';
    metrics.set(name, { name, base, tags, type, contains, values });
  }

  const thresholds: Threshold[] = rawThresholds.map((t) => {
    const parsed = parseThresholdExpression(t.expression);
    const m = metrics.get(t.metric);
    const actual = parsed && m ? (m.values[parsed.aggregation] ?? null) : null;
    return {
      metric: t.metric,
      expression: t.expression,
      ok: t.ok,
      aggregation: parsed?.aggregation ?? null,
      operator: parsed?.operator ?? null,
      limit: parsed?.limit ?? null,
      actual,
      unit: unitOf(m),
      observer: isObserverThreshold(t.expression),
    };
  });

  const checks: ParsedSummary['checks'] = [];
  const walk = (group: unknown): void => {
    if (!isRecord(group)) return;
    const list = Array.isArray(group.checks) ? group.checks : isRecord(group.checks) ? Object.values(group.checks) : [];
    for (const c of list)
      if (isRecord(c))
        checks.push({ path: String(c.path ?? c.name ?? ''), name: String(c.name ?? ''), passes: Number(c.passes ?? 0), fails: Number(c.fails ?? 0) });
    const groups = Array.isArray(group.groups) ? group.groups : isRecord(group.groups) ? Object.values(group.groups) : [];
    for (const g of groups) walk(g);
  };
  walk(data.root_group);

  const state = isRecord(data.state) ? data.state : {};
  const durationMs = typeof state.testRunDurationMs === 'number' ? state.testRunDurationMs : null;
  return { format, durationMs, metrics, thresholds, checks };
}

// load/ adds thresholds that can never fail so k6 keeps per-endpoint submetrics in the summary;
// they are bookkeeping, not SLOs, and stay out of tables and JUnit.
const OBSERVERS = new Set(['max>=0', 'min>=0', 'avg>=0', 'rate>=0', 'count>=0', 'rate<=1']);
export function isObserverThreshold(expr: string): boolean {
  return OBSERVERS.has(expr.replace(/\s+/g, ''));
}

/** k6 trend values -> LatencyStats (k6 calls the median "med"). */
export function latencyFromValues(values: Record<string, number> | undefined): LatencyStats {
  const v = values ?? {};
  const pick = (k: string) => (typeof v[k] === 'number' ? v[k] : null);
  return { avg: pick('avg'), min: pick('min'), p50: pick('med') ?? pick('p(50)'), p90: pick('p(90)'), p95: pick('p(95)'), p99: pick('p(99)'), max: pick('max') };
}
