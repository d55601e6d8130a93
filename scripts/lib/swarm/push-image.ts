// One way to get an image built on this machine to where the swarm's nodes pull from: build,
// tag by content (the image id), push, optionally pin by digest. Used by the application images
// (images.ts), the chaos agent (chaos/agent/image.ts) and the load engine (load/run/engine-image.ts).
// The embedded registry is pushed to on the host's loopback with the suite's own DOCKER_CONFIG
// (scripts/lib/registry-auth.ts); a user's registry with the user's docker config (docker login).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { defaults } from '../defaults.ts';
import { EnvironmentError } from '../errors.ts';
import { hostEnv } from '../host-env.ts';
import { localRegistryEnv, NODE_REGISTRY, readRegistryPassword, redactSecrets } from '../registry-auth.ts';

export interface PushImageInput {
  /** e.g. swarm-gameday/gameday-agent; built locally as <repository>:latest */
  repository: string;
  /** build context dir; dockerfile relative to it or absolute (default <context>/Dockerfile) */
  context?: string;
  /** or: the files of a context made for this build (a temp dir, removed after) */
  files?: { src: string; name: string; exec?: boolean }[];
  dockerfile?: string;
  /** for messages: "the gameday-agent image" */
  what: string;
  /** registry host[:port] pushed to AND pulled from by the nodes; absent: the embedded registry */
  registry?: string;
  /** append @sha256:… so a node that has the image starts a task without asking the registry */
  pinDigest?: boolean;
  /** added to a failed push to the embedded registry (how to name another registry) */
  otherRegistryHint?: string;
}

/** The reference the nodes pull, for a content id and a registry (pure). */
export function nodeImageRef(repository: string, id: string, registry?: string): string {
  return `${registry ?? NODE_REGISTRY}/${repository}:${id}`;
}

/** Builds, tags by content id and pushes; returns the node-side reference. */
export async function buildAndPushImage(i: PushImageInput): Promise<string> {
  if (!i.files) return buildAndPushFrom(i.context ?? '.', i);
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), `${i.repository.split('/').pop()}-image-`));
  try {
    for (const f of i.files) {
      fs.copyFileSync(f.src, path.join(ctx, f.name));
      if (f.exec) fs.chmodSync(path.join(ctx, f.name), 0o755);
    }
    return await buildAndPushFrom(ctx, i);
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

async function buildAndPushFrom(context: string, i: PushImageInput): Promise<string> {
  const local = `${i.repository}:latest`;
  const env = i.registry ? hostEnv() : hostEnv(localRegistryEnv());
  const run = $({ env, quiet: true, nothrow: true, timeout: 600_000 });
  const dockerfile = i.dockerfile ? ['-f', i.dockerfile.startsWith('/') ? i.dockerfile : `${context}/${i.dockerfile}`] : [];
  const b = await run`docker build -q -t ${local} ${dockerfile} ${context}`;
  if (b.exitCode !== 0) throw new EnvironmentError(`building ${i.what} failed (exit ${b.exitCode}): ${b.stderr.trim().slice(-400)}`);
  const id = (await run`docker image inspect -f {{.Id}} ${local}`).stdout.trim().replace('sha256:', '').slice(0, 12);
  const pushRef = i.registry ? nodeImageRef(i.repository, id, i.registry) : `127.0.0.1:${defaults.local.registryPort}/${i.repository}:${id}`;
  await run`docker tag ${local} ${pushRef}`;
  const p = await run`docker push ${pushRef}`;
  if (p.exitCode !== 0) {
    const why = redactSecrets(p.stderr.trim().slice(-300), [readRegistryPassword()]);
    const auth = /unauthorized|authentication required|denied/i.test(p.stderr)
      ? i.registry
        ? `; log in to it first: docker login ${i.registry}`
        : '; the embedded registry refused the suite\'s credential (state dir local-swarm/registry): npm run stack:up recreates the registry with it'
      : '';
    throw new EnvironmentError(`pushing ${i.what} to ${pushRef} failed (exit ${p.exitCode}): ${why}${auth}` + (i.registry ? '' : (i.otherRegistryHint ?? '')));
  }
  const ref = nodeImageRef(i.repository, id, i.registry);
  if (!i.pinDigest) return ref;
  const digests = (await run`docker image inspect -f ${'{{range .RepoDigests}}{{println .}}{{end}}'} ${pushRef}`).stdout;
  const repo = pushRef.split(':').slice(0, -1).join(':');
  const digest = /@(sha256:[0-9a-f]{64})/.exec(digests.split('\n').find((l) => l.startsWith(repo)) ?? '')?.[1];
  return ref + (digest ? `@${digest}` : '');
}

/** Runs build once per process and key (a failure is not cached). */
export function once(cache: Map<string, Promise<string>>, key: string, build: () => Promise<string>): Promise<string> {
  let p = cache.get(key);
  if (!p) {
    p = build().catch((err) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, p);
  }
  return p;
}

/** An ensure<Name>Image function: a ready-made reference (o.image) as is, else build(o) once per
 *  process and registry. */
export function ensureImageOnce<O extends { registry?: string; image?: string }>(build: (o: O) => Promise<string>): (o?: O) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (o = {} as O) => (o.image ? Promise.resolve(o.image) : once(cache, o.registry ?? '', () => build(o)));
}
