// The agent as a ChaosContext sees it: node exec through one-shot services, dead-man supervisors on
// a manager, and removal of agent services. The image is built and pushed on first use only, so
// --list and --dry-run touch nothing.
import os from 'node:os';
import type Dockerode from 'dockerode';
import type { AgentRuntime, NodeExec } from '../faults/types.ts';
import { agentNodeExec, newAgentId, removeServices } from './exec.ts';
import { ensureAgentImage, type AgentImageOptions } from './image.ts';
import { createServiceWithAuth } from '../../scripts/lib/registry-auth.ts';
import { AGENT_LABEL, agentServiceName, agentServiceSpec } from './spec.ts';

/** Supervisor service spec (pure): on a manager, sleeping boundMs, then undoing on node. */
export function supervisorSpec(i: { id: string; image: string; node: string; script: string; boundMs: number; label: string; owner?: string; now?: Date }): Record<string, unknown> {
  const deadline = new Date((i.now ?? new Date()).getTime() + i.boundMs).toISOString();
  return agentServiceSpec({
    id: i.id,
    image: i.image,
    role: 'supervisor',
    command: ['gameday-agent-supervise'],
    env: {
      GAMEDAY_AGENT_ID: i.id,
      GAMEDAY_AGENT_SELF: agentServiceName(i.id),
      GAMEDAY_AGENT_NODE: i.node,
      GAMEDAY_AGENT_IMAGE: i.image,
      GAMEDAY_AGENT_BOUND_S: String(Math.max(1, Math.ceil(i.boundMs / 1000))),
      GAMEDAY_AGENT_TIMEOUT_S: '60',
      GAMEDAY_AGENT_CMD: Buffer.from(i.script).toString('base64'),
      GAMEDAY_AGENT_OWNER: i.owner,
    },
    labels: { [`${AGENT_LABEL}.node`]: i.node, [`${AGENT_LABEL}.fault`]: i.label, [`${AGENT_LABEL}.deadline`]: deadline },
  });
}

export function createAgentRuntime(swarm: Dockerode, o: AgentImageOptions & { log: (l: string) => void }): AgentRuntime & { exec: NodeExec } {
  const image = () => ensureAgentImage(o);
  // this controller process: its exec services carry it, so a supervisor that fires (the
  // controller presumed gone) removes the finished ones a killed controller left
  const owner = `${os.hostname()}-${process.pid}-${newAgentId()}`;
  return {
    image,
    owner,
    exec: agentNodeExec(swarm, { image, log: o.log, owner }),
    async arm(node, script, boundMs, label) {
      const id = newAgentId('sv');
      await createServiceWithAuth(swarm, supervisorSpec({ id, image: await image(), node, script, boundMs, label, owner }));
      return agentServiceName(id);
    },
    async remove(services) {
      if (!services.length) return;
      // a supervisor that fired has undo helpers of its own (label gameday.agent.parent=<its id>)
      const ids = services.map((s) => s.slice('gameday-agent-'.length));
      const helpers = (await (swarm.listServices as any)({ filters: { label: ids.map((id) => `${AGENT_LABEL}.parent=${id}`) } })) as any[];
      const children = helpers.filter((h) => ids.includes(h.Spec?.Labels?.[`${AGENT_LABEL}.parent`])).map((h) => String(h.Spec.Name));
      await removeServices(swarm, [...services, ...children]);
    },
  };
}

/** Every agent service on the swarm (name and labels): what --recover sweeps. */
export async function listAgentServices(swarm: Dockerode): Promise<{ name: string; labels: Record<string, string> }[]> {
  const all = (await (swarm.listServices as any)({ filters: { label: [`${AGENT_LABEL}=1`] } })) as any[];
  return all.map((s) => ({ name: String(s.Spec?.Name), labels: (s.Spec?.Labels ?? {}) as Record<string, string> }));
}
