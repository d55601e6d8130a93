// Builds the application's images and pushes them to the local registry under content-addressed
// tags, so a redeploy changes a service only when its image really changed (push-image.ts).
import path from 'node:path';
import { info } from '../log.ts';
import { buildAndPushImage } from './push-image.ts';

export interface ImageSpec {
  name: string;
  context: string; // relative to the repo root
  dockerfile?: string; // relative to context
  envVar: string; // the stack files read the image reference from this variable
  prebuild?: () => Promise<void>;
}

const repoRoot = path.resolve(new URL('../../../', import.meta.url).pathname);

export async function loadImageSpecs(): Promise<ImageSpec[]> {
  const mod = (await import(path.join(repoRoot, 'stack', 'images.ts'))) as { images: ImageSpec[] };
  return mod.images;
}

/**
 * Returns the env (e.g. GAMEDAY_IMAGE_TODOAPI=registry:5000/swarm-gameday/todoapi:<id>) the stack
 * files need. An image whose variable the user already set is not built: theirs is used.
 */
export async function buildAndPush(specs: ImageSpec[]): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const s of specs) {
    const override = process.env[s.envVar];
    if (override) {
      info(`${s.name}: using ${override} from ${s.envVar}`);
      env[s.envVar] = override;
      continue;
    }
    await s.prebuild?.();
    const ctx = path.join(repoRoot, s.context);
    const file = path.join(ctx, s.dockerfile ?? 'Dockerfile');
    env[s.envVar] = await buildAndPushImage({ repository: `swarm-gameday/${s.name}`, context: ctx, dockerfile: file, what: `the ${s.name} image` });
    info(`${s.name}: ${env[s.envVar]}`);
  }
  return env;
}
