// Service specs of the agent (pure). Every agent service: labelled gameday.agent=1 and
// gameday.agent.run=<id>, the node's docker socket mounted, restart condition none, endpoint dnsrr
// and no published port: nothing of it is reachable from outside the swarm.
export const AGENT_LABEL = 'gameday.agent';
export const AGENT_PREFIX = 'gameday-agent-';
const SOCKET = '/var/run/docker.sock';

/** stream: a long-lived command in a task container whose output is followed in the service log
 *  (chaos/measure/agent-stream.ts); sql: one statement to a DB server over the app's overlay
 *  network, with the target's DB secrets and without the docker socket (chaos/agent/sql.ts); warm:
 *  a global job that only makes every node pull the image (chaos/agent/warm.ts) */
export type AgentRole = 'exec' | 'supervisor' | 'undo' | 'stream' | 'sql' | 'warm';

/** A Docker secret mounted into the task (the API wants its id and name). */
export interface AgentSecret {
  id: string;
  name: string;
  /** file name under /run/secrets/ */
  target: string;
}

export interface AgentServiceInput {
  id: string;
  image: string;
  role: AgentRole;
  /** hostname of the node the task must run on (exec); absent: a manager (supervisor) */
  node?: string;
  env: Record<string, string | undefined>;
  command: string[];
  labels?: Record<string, string>;
  /** overlay networks to join (sql); none: the default */
  networks?: string[];
  secrets?: AgentSecret[];
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
        // the sql role needs no engine: it gets neither the socket nor a node
        Mounts: i.role === 'sql' ? [] : [{ Type: 'bind', Source: SOCKET, Target: SOCKET }],
        ...(i.secrets?.length ? { Secrets: i.secrets.map((x) => ({ SecretID: x.id, SecretName: x.name, File: { Name: x.target, UID: '0', GID: '0', Mode: 0o400 } })) } : {}),
        StopGracePeriod: 1_000_000_000,
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      ...(i.networks?.length ? { Networks: i.networks.map((n) => ({ Target: n })) } : {}),
      Placement: { Constraints: i.node ? [`node.hostname==${i.node}`] : i.role === 'sql' ? [] : ['node.role==manager'] },
      Resources: { Limits: { MemoryBytes: 128 * 1024 * 1024 } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}
