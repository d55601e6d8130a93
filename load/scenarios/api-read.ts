// API read path: list the board by status (served by a MariaDB replica).
import { loadPlan } from '../lib/env.ts';
import { makeFlows } from '../lib/flows.ts';
import { buildOptions } from '../lib/plan.ts';
import { makeHandleSummary } from '../lib/summary.ts';

const plan = loadPlan('api-read');
const flows = makeFlows(plan);

export const options = buildOptions(plan);
export const handleSummary = makeHandleSummary(plan);

export function apiRead(): void {
  flows.apiRead();
}
export default apiRead;
