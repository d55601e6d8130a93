// The web frontend in chromium via k6/browser: a few VUs load the dashboard, add an item, see it
// appear. Page metrics (browser_web_vital_*, browser_http_req_*) come from k6 itself.
import { browserIteration } from '../lib/browser-flow.ts';
import { loadPlan } from '../lib/env.ts';
import { buildOptions } from '../lib/plan.ts';
import { makeHandleSummary } from '../lib/summary.ts';

const plan = loadPlan('browser');

export const options = buildOptions(plan);
export const handleSummary = makeHandleSummary(plan);

export async function browserFlow(): Promise<void> {
  await browserIteration(plan);
}
export default browserFlow;
