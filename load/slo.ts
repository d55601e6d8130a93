// THE service-level objectives of `npm run load`: edit this file (or pass --slo <file> with the same
// shape). Each entry becomes k6 thresholds on the per-endpoint sub-metrics; a breach fails the run
// (exit 1) and is named in the summary. Names are checked before k6 starts: an unknown endpoint,
// metric or tag key is a configuration error (exit 2).
//
// Endpoints (tag `endpoint`): api-list, api-create, api-update, api-ryw-poll, api-healthz,
// web-index, web-asset. Metrics: k6's built-ins, browser_* (browser scenario) and this suite's
// read_your_writes_ms / read_your_writes_visible / browser_item_visible_ms.
import { defineSlo } from './lib/slo-types.ts';

export default defineSlo({
  endpoints: {
    'api-list': { latency: { p95: 500, p99: 1500 }, errorRate: 0.01, checks: 0.99 },
    'api-create': { latency: { p95: 800, p99: 2000 }, errorRate: 0.01, checks: 0.99 },
    'api-update': { latency: { p95: 800, p99: 2000 }, errorRate: 0.01, checks: 0.99 },
    'api-ryw-poll': { errorRate: 0.02 },
    'web-index': { latency: { p95: 800, p99: 2000 }, errorRate: 0.01, checks: 0.99 },
    'web-asset': { latency: { p95: 500, p99: 1500 }, errorRate: 0.01 },
  },
  thresholds: {
    // Read-your-writes as a user sees it: create acknowledged -> item listed (list reads a replica).
    read_your_writes_ms: ['p(95)<2000'],
    read_your_writes_visible: ['rate>0.99'],
    checks: ['rate>0.99'],
    // Browser scenario (k6/browser): page metrics and "added item visible" time.
    browser_web_vital_lcp: ['p(95)<4000'],
    browser_item_visible_ms: ['p(95)<5000'],
  },
  generator: { maxDroppedRatio: 0.01 },
});
