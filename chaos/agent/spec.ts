// Service specs of the agent (pure). Every agent service: labelled gameday.agent=1 and
// gameday.agent.run=<id>, the node's docker socket mounted, restart condition none, endpoint dnsrr
// and no published port: nothing of it is reachable from outside the swarm.
export const AGENT_LABEL = 'gameday.agent';
export const AGENT_PREFIX = 'gameday-agent-';
const SOCKET = '/var/run/docker.sock';

/** stream: a long-lived command in a task container whose output is followed in the service log
 *  (chaos/measure/agent-stream.ts) */
export type AgentRole = 'exec' | 'supervisor' | 'undo' | 'stream';

export interface AgentServiceInput {
  id: string;
  image: string;
  role: AgentRole;
  /** hostname of the node the task must run on (exec); absent: a manager (supervisor) */
  node?: string;
  env: Record<string, string | undefined>;
  command: string[];
  labels?: Record<string, string>;
}

export function agentServiceName(id: string): string {
  return `${AGENT_PREFIX}${id}`;
}

export function agentServiceSpec(i: AgentServiceInput): Record<string, unknown> {
  const labels = { [AGENT_LABEL]: '1', [`${AGENT_LABEL}.run`]: i.id, [`${AGENT_LABEL}.role`]: i.role, ...(i.node ? { [`${AGENT_LABEL}.node`]: i.node } : {}), ...i.labels };
  return {
    Name: agentServiceName(i.id),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: i.image,
        Command: i.command,
        Env: Object.entries(i.env)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        Mounts: [{ Type: 'bind', Source: SOCKET, Target: SOCKET }],
        StopGracePeriod: 1_000_000_000,
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: { Constraints: [i.node ? `node.hostname==${i.node}` : 'node.role==manager'] },
      Resources: { Limits: { MemoryBytes: 128 * 1024 * 1024 } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}
