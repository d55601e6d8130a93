// What the load suite knows about: scenarios, endpoint tags, metric names and tag keys. The SLO
// validation rejects anything not listed here, so a typo in load/slo.ts fails before the run
// instead of producing a threshold on a metric nobody emits (k6 passes thresholds without data).
// Pure data: imported by both the k6 bundle and Node.

export const SCENARIOS = ['api-read', 'api-write', 'web', 'mixed', 'browser'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const PROFILES = ['smoke', 'load', 'stress', 'spike', 'soak', 'breakpoint'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** Value of the `endpoint` tag on every request the suite sends. */
export const ENDPOINTS = {
  'api-list': 'GET /api/todo?status=… (reads a replica)',
  'api-create': 'POST /api/todo (writes the primary)',
  'api-update': 'PUT /api/todo (status transitions, primary)',
  'api-ryw-poll': 'GET /api/todo?status=TODO polled after a create until the item shows up',
  'api-healthz': 'GET /api/healthz',
  'web-index': 'GET / (server-rendered dashboard)',
  'web-asset': 'GET /assets/… referenced by the dashboard',
} as const;
export type EndpointName = keyof typeof ENDPOINTS;
export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as EndpointName[];

/** Which endpoints each scenario exercises (thresholds on others are dropped for that run). */
export const SCENARIO_ENDPOINTS: Record<ScenarioName, readonly EndpointName[]> = {
  'api-read': ['api-list'],
  'api-write': ['api-create', 'api-update', 'api-ryw-poll'],
  web: ['web-index', 'web-asset'],
  mixed: ['api-list', 'api-create', 'api-update', 'api-ryw-poll', 'web-index', 'web-asset'],
  browser: [],
};

export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';

/** Custom metrics of this suite (defined in lib/metrics.ts with these names). */
export const CUSTOM_METRICS = {
  read_your_writes_ms: 'trend',
  read_your_writes_visible: 'rate',
  browser_item_visible_ms: 'trend',
} as const satisfies Record<string, MetricType>;

const HTTP_METRICS = {
  http_reqs: 'counter',
  http_req_failed: 'rate',
  http_req_duration: 'trend',
  http_req_blocked: 'trend',
  http_req_connecting: 'trend',
  http_req_tls_handshaking: 'trend',
  http_req_sending: 'trend',
  http_req_waiting: 'trend',
  http_req_receiving: 'trend',
} as const satisfies Record<string, MetricType>;

const BROWSER_METRICS = {
  browser_web_vital_lcp: 'trend',
  browser_web_vital_fcp: 'trend',
  browser_web_vital_cls: 'trend',
  browser_web_vital_ttfb: 'trend',
  browser_web_vital_inp: 'trend',
  browser_web_vital_fid: 'trend',
  browser_http_req_duration: 'trend',
  browser_http_req_failed: 'rate',
  browser_data_received: 'counter',
  browser_data_sent: 'counter',
} as const satisfies Record<string, MetricType>;

const CORE_METRICS = {
  checks: 'rate',
  iterations: 'counter',
  iteration_duration: 'trend',
  dropped_iterations: 'counter',
  vus: 'gauge',
  vus_max: 'gauge',
  data_sent: 'counter',
  data_received: 'counter',
} as const satisfies Record<string, MetricType>;

export const METRICS: Record<string, MetricType> = {
  ...CORE_METRICS,
  ...HTTP_METRICS,
  ...BROWSER_METRICS,
  ...CUSTOM_METRICS,
};

/** Scenarios that emit a metric; absent = every scenario. */
export const METRIC_SCENARIOS: Partial<Record<string, readonly ScenarioName[]>> = {
  read_your_writes_ms: ['api-write', 'mixed'],
  read_your_writes_visible: ['api-write', 'mixed'],
  browser_item_visible_ms: ['browser'],
  ...Object.fromEntries(Object.keys(BROWSER_METRICS).map((m) => [m, ['browser'] as const])),
  ...Object.fromEntries(Object.keys(HTTP_METRICS).map((m) => [m, ['api-read', 'api-write', 'web', 'mixed'] as const])),
};

/** Tag keys a threshold may filter on (k6 system tags we keep + ours). */
export const TAG_KEYS = ['endpoint', 'scenario', 'method', 'status', 'name', 'expected_response', 'group', 'check'] as const;

/** Aggregations k6 accepts per metric type. */
export const AGGREGATIONS: Record<MetricType, RegExp> = {
  trend: /^(avg|min|max|med|p\(\d{1,2}(\.\d+)?\))$/,
  rate: /^rate$/,
  counter: /^(count|rate)$/,
  gauge: /^value$/,
};

export function metricAppliesTo(metric: string, scenario: ScenarioName): boolean {
  const only = METRIC_SCENARIOS[metric];
  return !only || only.includes(scenario);
}
