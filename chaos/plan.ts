// Turning an experiment into a validated plan: each fault step resolved against the registry, its
// params validated, and described. Pure: this is what --dry-run prints.
import type { Experiment, Step } from './model.ts';
import { stepName } from './model.ts';
import { getFault, type FaultRegistry } from './faults/index.ts';
import { validateParams, type Fault } from './faults/types.ts';

export interface PlannedStep {
  index: number;
  step: Step;
  /** phase / probe tag */
  name: string;
  fault?: Fault;
  params?: Record<string, unknown>;
  line: string;
}

export function planExperiment(exp: Experiment, registry: FaultRegistry): PlannedStep[] {
  return exp.method.map((step, index) => {
    const where = `experiment ${exp.id}: method[${index}]`;
    if (step.type === 'wait') return { index, step, name: 'wait', line: `wait ${step.ms} ms` };
    const fault = getFault(registry, step.fault, where);
    const params = validateParams(fault, step.params, where) as Record<string, unknown>;
    const name = stepName({ ...step, params });
    const hold = step.holdMs ? `; hold ${step.holdMs} ms` : '';
    return { index, step, name, fault, params, line: `${fault.describe(params)}${hold}` };
  });
}

/** Services an experiment touches or depends on: targets, steady state and every fault's targets. */
export function experimentServices(exp: Experiment, plan: PlannedStep[]): string[] {
  const s = new Set<string>([...exp.targets.services, ...exp.steadyState.services]);
  for (const p of plan) if (p.fault && p.params) for (const x of p.fault.targets(p.params).services) s.add(x);
  return [...s];
}

export function formatPlan(exp: Experiment, plan: PlannedStep[]): string {
  const t = exp.timing;
  const lines = [
    `experiment ${exp.id}: ${exp.title}`,
    `  steady state: ${exp.steadyState.services.length} service(s) at desired replicas; ingress ${exp.steadyState.ingress.join(', ') || '-'}; replication ${exp.steadyState.replication ? 'running' : 'not checked'}`,
    `  1. measure steady phase ${t.beforeMs} ms`,
    ...plan.map((p, i) => `  ${i + 2}. ${p.line}`),
    `  ${plan.length + 2}. roll back every fault (reverse order), wait for recovery (<= ${t.recoveryTimeoutMs} ms)`,
    `  ${plan.length + 3}. measure after phase ${t.afterMs} ms; check steady state (holds in a check within ${t.confirmMs} ms); lost-write check`,
    `  tolerances: ${describeTolerances(exp)}`,
  ];
  return lines.join('\n');
}

export function describeTolerances(exp: Experiment): string {
  const t = exp.tolerances;
  const parts: string[] = [];
  if (t.expectDowntime) parts.push('downtime must be reported');
  if (t.minAvailability !== undefined && !t.expectDowntime) parts.push(`availability${t.availabilityOf === 'reads' ? ' (reads)' : ''} >= ${t.minAvailability}%`);
  if (t.maxOutageMs !== undefined && !t.expectDowntime) parts.push(`outage <= ${t.maxOutageMs} ms`);
  if (t.expectLagging) parts.push(`a replica must be reported lagging (> ${t.laggingAboveMs} ms)`);
  else if (t.maxReplicaLagP95Ms !== undefined) parts.push(`replica heartbeat lag p95 <= ${t.maxReplicaLagP95Ms} ms in the fault phases`);
  if (t.maxRecoveryMs !== undefined) parts.push(`recovery <= ${t.maxRecoveryMs} ms`);
  if (t.expectRollback) parts.push('Swarm must roll the update back');
  if (t.maxP95LatencyMs !== undefined) parts.push(`p95 latency <= ${t.maxP95LatencyMs} ms`);
  if (t.expectSlowerByMs !== undefined) parts.push(`p95 latency must rise by >= ${t.expectSlowerByMs} ms while the fault acts`);
  if (t.maxWriteOutageMs !== undefined) parts.push(`write outage <= ${t.maxWriteOutageMs} ms`);
  parts.push('0 lost acknowledged writes');
  return parts.join(', ');
}
