// The gameday-agent image (chaos/agent/Dockerfile): built on this machine from the project's
// Debian base with the gameday-netdelay binary copied in, tagged by content (image id) and pushed
// where the swarm's nodes pull from: the local registry for the embedded swarm (nodes see it as
// registry:5000), or the registry the user names (--agent-registry / GAMEDAY_AGENT_REGISTRY) for
// another swarm. GAMEDAY_AGENT_IMAGE names a ready-made reference instead (nothing is built).
// Build, tag and push: scripts/lib/swarm/push-image.ts (with the registry's credentials).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAndPushImage, nodeImageRef, once } from '../../scripts/lib/swarm/push-image.ts';
import { ensureBaseImage, ensureNetDelay } from '../../scripts/lib/tools.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** what the image is built from, besides the delayer binary */
const FILES = ['Dockerfile', 'run.sh', 'supervise.sh'];
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

const cache = new Map<string, Promise<string>>();

/** Builds (once per process and source) and pushes the agent image; returns the node-side reference. */
export function ensureAgentImage(o: AgentImageOptions = {}): Promise<string> {
  if (o.image) return Promise.resolve(o.image);
  return once(cache, o.registry ?? '', () => build(o));
}

async function build(o: AgentImageOptions): Promise<string> {
  await ensureBaseImage();
  const bin = await ensureNetDelay();
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-agent-'));
  try {
    for (const f of FILES) fs.copyFileSync(path.join(HERE, f), path.join(ctx, f));
    fs.copyFileSync(bin, path.join(ctx, 'gameday-netdelay'));
    fs.chmodSync(path.join(ctx, 'gameday-netdelay'), 0o755);
    const ref = await buildAndPushImage({
      repository: AGENT_REPOSITORY,
      context: ctx,
      what: 'the gameday-agent image',
      registry: o.registry,
      pinDigest: true,
      otherRegistryHint: '; for a swarm other than the embedded one name a registry its nodes pull from: --agent-registry HOST[:PORT] (GAMEDAY_AGENT_REGISTRY)',
    });
    o.log?.(`agent image: ${ref}`);
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
