// Web dashboard through the frontend: the server-rendered page and its assets.
import { loadPlan } from '../lib/env.ts';
import { makeFlows } from '../lib/flows.ts';
import { buildOptions } from '../lib/plan.ts';
import { makeHandleSummary } from '../lib/summary.ts';

const plan = loadPlan('web');
const flows = makeFlows(plan);

export const options = buildOptions(plan);
export const handleSummary = makeHandleSummary(plan);

export function web(): void {
  flows.web();
}
export default web;
