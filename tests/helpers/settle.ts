// The shared swarm as each integration file should find it: the default stack converged and
// answering, and nothing of an earlier file's still running (its commands, a background load
// service). The files run one after another on one 2-core swarm; a leftover from one failure must
// not fail every file after it. Bounded; it says what it removed and what it waited for.
import { swarmDocker } from '../../scripts/lib/docker.ts';
import { ensureLocalStack, localTarget } from '../../scripts/lib/local-swarm.ts';
import { converged, serviceStates } from '../../scripts/lib/swarm/state.ts';
import { LOAD_LABEL } from '../../load/run/distributed-spec.ts';
import { eventually, http, stopStrays } from './run.ts';

/** The TODO app at `ingress` answers its API health and its web index with 200. */
export async function appAnswers(ingress: string): Promise<boolean> {
  const api = await http(`${ingress}/api/healthz`, { timeoutMs: 5_000 });
  const web = await http(`${ingress}/`, { timeoutMs: 5_000 });
  return api.status === 200 && web.status === 200;
}

export async function settledStack(what: string): Promise<void> {
  await stopStrays();
  const t = await ensureLocalStack();
  const docker = swarmDocker(t.dockerHost);
  // load services only: an agent service may be a dead-man supervisor still holding an undo
  const left = (await docker.listServices({ filters: { label: [LOAD_LABEL] } } as any)) as unknown as Array<{ ID: string; Spec: { Name: string } }>;
  for (const s of left) {
    process.stderr.write(`${what}: removing service ${s.Spec.Name} (label ${LOAD_LABEL}) an earlier test left\n`);
    await docker.getService(s.ID).remove().catch(() => undefined);
  }
  const ingress = localTarget().ingressUrl;
  await eventually(
    async () => converged(await serviceStates(docker)) && (await appAnswers(ingress)),
    4 * 60_000,
    `${what}: the default stack converged and answering at ${ingress}`,
    1000,
  );
}
