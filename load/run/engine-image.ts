// The gameday-engine image (load/engine/Dockerfile) for distributed load: built on this machine
// from the project's Debian base with the static engine and fakeapi binaries, tagged by content
// (image id) and pushed where the swarm's nodes pull from: the local registry for the embedded
// swarm (nodes see it as registry:5000), or the registry the user names (GAMEDAY_LOAD_REGISTRY)
// for another swarm. GAMEDAY_ENGINE_IMAGE names a ready-made reference instead (nothing is built).
// Build, tag and push: scripts/lib/swarm/push-image.ts, shared with the chaos agent's image.
import path from 'node:path';
import { buildAndPushImage, ensureImageOnce, nodeImageRef } from '../../scripts/lib/swarm/push-image.ts';
import { ensureBaseImage, ensureFakeApi, ensureLoadEngine, LOAD_ENGINE_SRC } from '../../scripts/lib/tools.ts';

export const ENGINE_REPOSITORY = 'swarm-gameday/gameday-engine';

export interface EngineImageOptions {
  /** registry host[:port] the image is pushed to AND the nodes pull from; absent: the local registry */
  registry?: string;
  /** a ready-made reference (GAMEDAY_ENGINE_IMAGE): used as is */
  image?: string;
  log?: (line: string) => void;
}

export function engineImageOptions(env: NodeJS.ProcessEnv = process.env): EngineImageOptions {
  return { registry: env.GAMEDAY_LOAD_REGISTRY || undefined, image: env.GAMEDAY_ENGINE_IMAGE || undefined };
}

/** The reference the nodes pull, for a content id and a registry (pure). */
export function engineImageRef(id: string, registry?: string): string {
  return nodeImageRef(ENGINE_REPOSITORY, id, registry);
}

/** Builds (once per process and registry) and pushes the engine image; returns the node-side reference. */
export const ensureEngineImage: (o?: EngineImageOptions) => Promise<string> = ensureImageOnce(build);

async function build(o: EngineImageOptions): Promise<string> {
  await ensureBaseImage();
  const [engine, fake] = await Promise.all([ensureLoadEngine(), ensureFakeApi()]);
  const ref = await buildAndPushImage({
    repository: ENGINE_REPOSITORY,
    files: [
      { src: path.join(LOAD_ENGINE_SRC, 'Dockerfile'), name: 'Dockerfile' },
      { src: engine, name: 'gameday-engine', exec: true },
      { src: fake, name: 'fakeapi', exec: true },
      { src: path.join(LOAD_ENGINE_SRC, 'replica.sh'), name: 'replica.sh', exec: true },
    ],
    what: 'the gameday-engine image',
    registry: o.registry,
    pinDigest: true,
    otherRegistryHint: '; for a swarm other than the embedded one name a registry its nodes pull from: GAMEDAY_LOAD_REGISTRY=HOST[:PORT]',
  });
  o.log?.(`engine image: ${ref}`);
  return ref;
}
