// The gameday-agent image (chaos/agent/Dockerfile): built on this machine from the project's
// Debian base with the gameday-netdelay binary copied in, tagged by content (image id) and pushed
// where the swarm's nodes pull from: the local registry for the embedded swarm (nodes see it as
// registry:5000), or the registry the user names (--agent-registry / GAMEDAY_AGENT_REGISTRY) for
// another swarm. GAMEDAY_AGENT_IMAGE names a ready-made reference instead (nothing is built).
// Build, tag and push: scripts/lib/swarm/push-image.ts (with the registry's credentials).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAndPushImage, ensureImageOnce, nodeImageRef } from '../../scripts/lib/swarm/push-image.ts';
import { ensureBaseImage, ensureNetDelay } from '../../scripts/lib/tools.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** what the image is built from, besides the delayer binary */
const FILES = ['Dockerfile', 'run.sh', 'supervise.sh', 'sql.sh'];
export const AGENT_REPOSITORY = 'swarm-gameday/gameday-agent';

export interface AgentImageOptions {
  /** registry host[:port] the image is pushed to AND the nodes pull from; absent: the local registry */
  registry?: string;
  /** a ready-made reference (GAMEDAY_AGENT_IMAGE): used as is */
  image?: string;
  log?: (line: string) => void;
}

/** The reference the nodes pull, for a content id and a registry (pure). */
export function agentImageRef(id: string, registry?: string): string {
  return nodeImageRef(AGENT_REPOSITORY, id, registry);
}

/** Builds (once per process and source) and pushes the agent image; returns the node-side reference. */
export const ensureAgentImage: (o?: AgentImageOptions) => Promise<string> = ensureImageOnce(build);

async function build(o: AgentImageOptions): Promise<string> {
  await ensureBaseImage();
  const bin = await ensureNetDelay();
  const ref = await buildAndPushImage({
    repository: AGENT_REPOSITORY,
    files: [...FILES.map((f) => ({ src: path.join(HERE, f), name: f })), { src: bin, name: 'gameday-netdelay', exec: true }],
    what: 'the gameday-agent image',
    registry: o.registry,
    pinDigest: true,
    otherRegistryHint: '; for a swarm other than the embedded one name a registry its nodes pull from: --agent-registry HOST[:PORT] (GAMEDAY_AGENT_REGISTRY)',
  });
  o.log?.(`agent image: ${ref}`);
  return ref;
}
