// Names of everything the embedded local swarm creates on the host engine. stack:down removes
// exactly these (and whatever carries OWNER_LABEL), nothing else.
import { defaults } from './defaults.ts';

const p = defaults.local.prefix;

export const OWNER_LABEL = 'com.swarm-gameday.owned';

export const LOCAL_SWARM = {
  prefix: p,
  registry: `${p}-registry`,
  manager: `${p}-manager`,
  workers: Array.from({ length: defaults.local.workers }, (_, i) => `${p}-worker${String(i + 1).padStart(2, '0')}`),
  network: `${p}-net`,
  nodeImage: 'swarm-gameday/node:bookworm',
  registryImage: 'swarm-gameday/registry:bookworm',
  baseImage: 'swarm-gameday/debian:bookworm',
  /** host port where the manager's Docker API is published (loopback only): TLS with client
   *  certificates (container port 2376); managers created before TLS serve plain TCP (2375) here */
  managerApiPort: 12375,
  /** host port of the manager's sshd (loopback only, key-only auth): DOCKER_HOST=ssh://root@127.0.0.1:12222 */
  managerSshPort: 12222,
  /** label on the manager container saying how its API is served ('tls'); absent: plain TCP */
  apiModeLabel: 'com.swarm-gameday.manager-api',
} as const;

// The address is the same whatever the transport (TLS or, on an old manager, plain TCP): the
// embedded default is recognised by it (chaos/target.ts, local-swarm.ts), and its certificates
// are used automatically (scripts/lib/docker.ts).
export const LOCAL_MANAGER_DOCKER_HOST = `tcp://127.0.0.1:${LOCAL_SWARM.managerApiPort}`;

export function allNodes(): string[] {
  return [LOCAL_SWARM.manager, ...LOCAL_SWARM.workers];
}

export function nodeVolume(node: string): string {
  return `${node}-docker`;
}
