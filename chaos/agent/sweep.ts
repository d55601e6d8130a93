// --recover: agent services no ledger record still needs (their fault undone by the run, by the
// recovery or by their own supervisor; or an exec whose controller died) are removed.
import type Dockerode from 'dockerode';
import type { LedgerRecord } from '../ledger.ts';
import { agentNote } from './deadman.ts';
import { removeServices } from './exec.ts';
import { listAgentServices } from './runtime.ts';
import { AGENT_LABEL, AGENT_PREFIX } from './spec.ts';

/** Names of agent services to remove, given the records still in the ledger (pure). */
export function leftoverAgentServices(services: { name: string; labels: Record<string, string> }[], records: LedgerRecord[]): string[] {
  const kept = new Set(records.flatMap((r) => agentNote(r.entry)?.services ?? []));
  return services
    .filter((s) => !kept.has(s.name) && !(s.labels[`${AGENT_LABEL}.parent`] && kept.has(`${AGENT_PREFIX}${s.labels[`${AGENT_LABEL}.parent`]}`)))
    .map((s) => s.name);
}

export async function sweepAgentServices(swarm: Dockerode, records: LedgerRecord[]): Promise<string[]> {
  const names = leftoverAgentServices(await listAgentServices(swarm), records);
  await removeServices(swarm, names);
  return names;
}
