// The gameday-engine image (load/engine/Dockerfile) for distributed load: built on this machine
// from the project's Debian base with the static engine and fakeapi binaries, tagged by content
// (image id) and pushed where the swarm's nodes pull from: the local registry for the embedded
// swarm (nodes see it as registry:5000), or the registry the user names (GAMEDAY_LOAD_REGISTRY)
// for another swarm. GAMEDAY_ENGINE_IMAGE names a ready-made reference instead (nothing is built).
// The same mechanism as the chaos agent's image (chaos/agent/image.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { defaults } from '../../scripts/lib/defaults.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { hostEnv } from '../../scripts/lib/host-env.ts';
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
  return `${registry ?? 'registry:5000'}/${ENGINE_REPOSITORY}:${id}`;
}

const cache = new Map<string, Promise<string>>();

/** Builds (once per process and registry) and pushes the engine image; returns the node-side reference. */
export function ensureEngineImage(o: EngineImageOptions = {}): Promise<string> {
  if (o.image) return Promise.resolve(o.image);
  const key = o.registry ?? '';
  let p = cache.get(key);
  if (!p) {
    p = build(o).catch((err) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, p);
  }
  return p;
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
    const local = `${ENGINE_REPOSITORY}:latest`;
    const run = $({ env: hostEnv(), quiet: true, nothrow: true, timeout: 600_000 });
    const b = await run`docker build -q -t ${local} ${ctx}`;
    if (b.exitCode !== 0) throw new EnvironmentError(`building the gameday-engine image failed (exit ${b.exitCode}): ${b.stderr.trim().slice(-400)}`);
    const id = (await run`docker image inspect -f {{.Id}} ${local}`).stdout.trim().replace('sha256:', '').slice(0, 12);
    const pushRef = o.registry ? engineImageRef(id, o.registry) : `127.0.0.1:${defaults.local.registryPort}/${ENGINE_REPOSITORY}:${id}`;
    await run`docker tag ${local} ${pushRef}`;
    const p = await run`docker push ${pushRef}`;
    if (p.exitCode !== 0) {
      throw new EnvironmentError(
        `pushing the gameday-engine image to ${pushRef} failed (exit ${p.exitCode}): ${p.stderr.trim().slice(-300)}` +
          (o.registry ? '' : '; for a swarm other than the embedded one name a registry its nodes pull from: GAMEDAY_LOAD_REGISTRY=HOST[:PORT]'),
      );
    }
    // pinned by digest: a node that has the image starts a task without asking the registry
    const digests = (await run`docker image inspect -f ${'{{range .RepoDigests}}{{println .}}{{end}}'} ${pushRef}`).stdout;
    const repo = pushRef.split(':').slice(0, -1).join(':');
    const digest = /@(sha256:[0-9a-f]{64})/.exec(digests.split('\n').find((l) => l.startsWith(repo)) ?? '')?.[1];
    const ref = engineImageRef(id, o.registry) + (digest ? `@${digest}` : '');
    o.log?.(`engine image: ${ref}`);
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
