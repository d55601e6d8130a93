// The gameday-engine image (load/engine/Dockerfile) for distributed load: built on this machine
// from the project's Debian base with the static engine and fakeapi binaries, tagged by content
// (image id) and pushed where the swarm's nodes pull from: the local registry for the embedded
// swarm (nodes see it as registry:5000), or the registry the user names (GAMEDAY_LOAD_REGISTRY)
// for another swarm. GAMEDAY_ENGINE_IMAGE names a ready-made reference instead (nothing is built).
// Build, tag and push: scripts/lib/swarm/push-image.ts, shared with the chaos agent's image.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAndPushImage, nodeImageRef, once } from '../../scripts/lib/swarm/push-image.ts';
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

const cache = new Map<string, Promise<string>>();

/** Builds (once per process and registry) and pushes the engine image; returns the node-side reference. */
export function ensureEngineImage(o: EngineImageOptions = {}): Promise<string> {
  if (o.image) return Promise.resolve(o.image);
  return once(cache, o.registry ?? '', () => build(o));
}

async function build(o: EngineImageOptions): Promise<string> {
  await ensureBaseImage();
  const [engine, fake] = await Promise.all([ensureLoadEngine(), ensureFakeApi()]);
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-engine-image-'));
  try {
    fs.copyFileSync(path.join(LOAD_ENGINE_SRC, 'Dockerfile'), path.join(ctx, 'Dockerfile'));
    for (const [src, name] of [[engine, 'gameday-engine'], [fake, 'fakeapi'], [path.join(LOAD_ENGINE_SRC, 'replica.sh'), 'replica.sh']] as const) {
      fs.copyFileSync(src, path.join(ctx, name));
      fs.chmodSync(path.join(ctx, name), 0o755);
    }
    const ref = await buildAndPushImage({
      repository: ENGINE_REPOSITORY,
      context: ctx,
      what: 'the gameday-engine image',
      registry: o.registry,
      pinDigest: true,
      otherRegistryHint: '; for a swarm other than the embedded one name a registry its nodes pull from: GAMEDAY_LOAD_REGISTRY=HOST[:PORT]',
    });
    o.log?.(`engine image: ${ref}`);
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
