// The agent's settings from the environment, validated at the edge (exit 2 naming the variable):
//   GAMEDAY_CHAOS_AGENT=0       on the embedded local swarm only: node-local steps by `docker exec` into the
//                               dind node containers instead of the agent (the default, and the only
//                               path elsewhere); 1 or unset: the agent
//   GAMEDAY_AGENT_REGISTRY      registry (host[:port][/path]) the image is pushed to and the nodes pull from
//   GAMEDAY_AGENT_IMAGE         a ready-made agent image reference (nothing is built or pushed)
import { ConfigError } from '../../scripts/lib/errors.ts';

export interface AgentEnvOptions {
  /** GAMEDAY_CHAOS_AGENT=0: node exec into the dind node containers where they exist */
  nodeExec: boolean;
  registry?: string;
  image?: string;
}

const REGISTRY = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?(\/[a-z0-9._-]+)*$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

export function agentOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, registrySource = 'GAMEDAY_AGENT_REGISTRY'): AgentEnvOptions {
  const flag = env.GAMEDAY_CHAOS_AGENT;
  if (flag !== undefined && flag !== '' && flag !== '0' && flag !== '1') throw new ConfigError(`GAMEDAY_CHAOS_AGENT: expected 0 or 1, got ${JSON.stringify(flag)}`);
  const registry = env.GAMEDAY_AGENT_REGISTRY || undefined;
  if (registry !== undefined && !REGISTRY.test(registry)) {
    throw new ConfigError(`${registrySource}: expected a registry as host[:port][/path] (e.g. registry.example.com:5000), got ${JSON.stringify(registry)}`);
  }
  const image = env.GAMEDAY_AGENT_IMAGE || undefined;
  if (image !== undefined && !IMAGE.test(image)) throw new ConfigError(`GAMEDAY_AGENT_IMAGE: expected an image reference, got ${JSON.stringify(image)}`);
  return { nodeExec: flag === '0', registry, image };
}
