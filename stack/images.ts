// The application images under test: what the lead's build code builds, tags and pushes.
// Paths are relative to the repository root; `prebuild` runs before `docker build` (it bundles
// the TypeScript services with esbuild into stack/<svc>/dist/, which is gitignored).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { imageEnv } from '../scripts/lib/defaults.ts';

export type ImageName = keyof typeof imageEnv;

export interface ImageSpec {
  name: ImageName;
  /** build context, relative to the repository root */
  context: string;
  /** Dockerfile path, relative to the context */
  dockerfile: string;
  /** environment variable holding the full image reference in the stack files */
  envVar: (typeof imageEnv)[ImageName];
  /** repository part of the default reference (registry:5000/<repository>:latest) */
  repository: string;
  /** runs before `docker build` (cwd-independent) */
  prebuild?: () => Promise<void>;
}

export const stackDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.dirname(stackDir);

/** registry host as the swarm nodes see it */
export const DEFAULT_REGISTRY = 'registry:5000';

export function defaultImageRef(spec: Pick<ImageSpec, 'repository'>, registry = DEFAULT_REGISTRY, tag = 'latest'): string {
  return `${registry}/${spec.repository}:${tag}`;
}

/** Bundles stack/<svc>/src/main.ts (mysql2 and all) into stack/<svc>/dist/server.cjs for Debian's Node 18. */
export async function bundleService(svc: 'todoapi' | 'todoweb'): Promise<void> {
  await build({
    entryPoints: [path.join(stackDir, svc, 'src', 'main.ts')],
    outfile: path.join(stackDir, svc, 'dist', 'server.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: repoRoot,
  });
}

export const images: ImageSpec[] = [
  { name: 'tododb', context: 'stack/tododb', dockerfile: 'Dockerfile', envVar: imageEnv.tododb, repository: 'swarm-gameday/tododb' },
  {
    name: 'todoapi',
    context: 'stack/todoapi',
    dockerfile: 'Dockerfile',
    envVar: imageEnv.todoapi,
    repository: 'swarm-gameday/todoapi',
    prebuild: () => bundleService('todoapi'),
  },
  {
    name: 'todoweb',
    context: 'stack/todoweb',
    dockerfile: 'Dockerfile',
    envVar: imageEnv.todoweb,
    repository: 'swarm-gameday/todoweb',
    prebuild: () => bundleService('todoweb'),
  },
  { name: 'nginx', context: 'stack/nginx', dockerfile: 'Dockerfile', envVar: imageEnv.nginx, repository: 'swarm-gameday/nginx' },
  { name: 'haproxy', context: 'stack/haproxy', dockerfile: 'Dockerfile', envVar: imageEnv.haproxy, repository: 'swarm-gameday/haproxy' },
];
