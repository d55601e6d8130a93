// The planted-slowdown candidate: the baseline API image plus stack/ab/ab-delay.cjs preloaded,
// with AB_DELAY_MS baked in (so it is an image like any candidate), built on this machine and
// pushed where the nodes pull from (scripts/lib/swarm/push-image.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaults } from '../lib/defaults.ts';
import { ConfigError } from '../lib/errors.ts';
import { NODE_REGISTRY } from '../lib/registry-auth.ts';
import { buildAndPushImage } from '../lib/swarm/push-image.ts';

const abDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'stack', 'ab');
export const DELAY_REPOSITORY = 'swarm-gameday/todoapi-abdelay';

/** The host-side name of a node-side reference in the embedded registry (registry:5000 -> 127.0.0.1:15000). */
export function hostRef(nodeRef: string): string {
  return nodeRef.startsWith(`${NODE_REGISTRY}/`) ? `127.0.0.1:${defaults.local.registryPort}/${nodeRef.slice(NODE_REGISTRY.length + 1)}` : nodeRef;
}

export function delayDockerfile(baseHostRef: string, delayMs: number): string {
  if (!(delayMs >= 0 && delayMs < 10_000)) throw new ConfigError(`delay: expected milliseconds from 0 to 10000, got ${delayMs}`);
  return fs
    .readFileSync(path.join(abDir, 'Dockerfile.delay.tmpl'), 'utf8')
    .replace('__BASE__', baseHostRef)
    .replace('__DELAY_MS__', String(Math.round(delayMs * 1000) / 1000));
}

/** Builds and pushes the delay variant of `baseline` (a node-side ref); returns its node-side ref. */
export async function ensureDelayImage(baseline: string, delayMs: number): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ab-delay-'));
  try {
    const df = path.join(tmp, 'Dockerfile');
    fs.writeFileSync(df, delayDockerfile(hostRef(baseline), delayMs));
    return await buildAndPushImage({
      repository: DELAY_REPOSITORY,
      files: [
        { src: df, name: 'Dockerfile' },
        { src: path.join(abDir, 'ab-delay.cjs'), name: 'ab-delay.cjs' },
      ],
      what: `the planted-slowdown image (+${delayMs} ms)`,
      pinDigest: false,
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
