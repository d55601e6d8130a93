// Finding and describing the engine that runs the k6 scripts: ours (gameday-engine, load/engine,
// built by setup with `go build`) by default, or a `k6` of the user's own on PATH with `--engine k6`.
// The suite never downloads or builds k6 (it is AGPL): it only runs one the user already has.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { aptInstall } from '../../scripts/lib/engine.ts';
import { ensureLoadEngine } from '../../scripts/lib/tools.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { timed } from '../../scripts/lib/log.ts';

const run = promisify(execFile);

export const ENGINES = ['gameday', 'k6'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface LoadEngine {
  name: EngineName;
  bin: string;
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The engine binary: GAMEDAY_ENGINE_BIN, else ours built (once, cached by source hash) from
 * load/engine; with name "k6" a `k6` on PATH, or an error saying the suite will not fetch one.
 */
export async function findLoadEngine(name: EngineName = 'gameday', env: NodeJS.ProcessEnv = process.env): Promise<LoadEngine> {
  if (name === 'k6') {
    const bin = onPath('k6', env);
    if (!bin) {
      throw new EnvironmentError('--engine k6: no `k6` on PATH (the suite never downloads or builds k6; use the default engine, --engine gameday)');
    }
    return { name, bin };
  }
  if (env.GAMEDAY_ENGINE_BIN) {
    if (!fs.existsSync(env.GAMEDAY_ENGINE_BIN)) throw new EnvironmentError(`GAMEDAY_ENGINE_BIN: expected an existing file, got "${env.GAMEDAY_ENGINE_BIN}"`);
    return { name, bin: env.GAMEDAY_ENGINE_BIN };
  }
  const bin = await ensureLoadEngine().catch((err: unknown) => {
    throw new EnvironmentError('building the load engine (load/engine) failed', { cause: err });
  });
  return { name, bin };
}

/** "gameday-engine v0.1.0" / "k6 v1.x" from `<bin> version`. */
export async function engineVersion(engine: LoadEngine): Promise<string> {
  try {
    const { stdout } = await run(engine.bin, ['version'], { timeout: 15_000 });
    const line = stdout.trim().split('\n')[0] ?? '';
    return /^(\S+ v\S+)/.exec(line)?.[1] ?? line;
  } catch (err) {
    throw new EnvironmentError(`${engine.bin} version failed`, { cause: err });
  }
}

/** `inspect` of a bundle: the options the engine resolves, or an error naming the bundle. */
export async function engineInspect(engine: LoadEngine, bundle: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run(engine.bin, ['inspect', bundle], { timeout: 60_000, env: { ...env, K6_NO_USAGE_REPORT: 'true' } });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    throw new EnvironmentError(`${path.basename(engine.bin)} inspect ${bundle} failed`, { cause: err });
  }
}

/** Exit codes the engines share (k6's documented ones; gameday-engine uses the same). */
export const ENGINE_EXIT: Record<number, string> = {
  99: 'thresholds failed',
  100: 'setup timed out',
  101: 'teardown timed out',
  102: 'generic timeout',
  103: 'generic engine error',
  104: 'invalid configuration',
  105: 'externally aborted',
  107: 'script exception',
  108: 'script aborted',
  109: 'Go panic',
  110: 'marked as failed',
};

/** Chromium for the browser scenario: K6_BROWSER_EXECUTABLE_PATH, or Debian's. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.K6_BROWSER_EXECUTABLE_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => !!x);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new EnvironmentError('the browser scenario needs chromium: `apt-get install -y chromium` (or set K6_BROWSER_EXECUTABLE_PATH)');
}

/** findChromium, installing Debian's chromium first when it is missing (Debian as root only). */
export async function ensureChromium(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return findChromium(env);
  } catch (missing) {
    if (env.K6_BROWSER_EXECUTABLE_PATH) throw missing; // the user pointed somewhere: do not guess
    await timed('installing chromium for the browser scenario (apt-get install chromium)', () => aptInstall(['chromium']));
    return findChromium(env);
  }
}
