// Finding and describing the k6 binary (built by `npm run setup` into defaults.tools.dir).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaults } from '../../scripts/lib/defaults.ts';
import { aptInstall } from '../../scripts/lib/engine.ts';
import { ensureK6 } from '../../scripts/lib/tools.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { timed } from '../../scripts/lib/log.ts';

const run = promisify(execFile);

/** K6_BIN, then the tools dir, then PATH. */
export function findK6(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.K6_BIN, env.GAMEDAY_K6, path.join(defaults.tools.dir, 'k6')].filter((x): x is string => !!x);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'k6');
    if (dir && fs.existsSync(p)) return p;
  }
  throw new EnvironmentError(
    `k6 not found (looked at K6_BIN, GAMEDAY_K6, ${path.join(defaults.tools.dir, 'k6')} and PATH); run \`npm run setup\` to build k6 ${defaults.tools.k6Version}`,
  );
}

/**
 * findK6, and on a fresh machine (no k6 anywhere, none named by K6_BIN/GAMEDAY_K6) build the
 * pinned release first, so `npm run load` alone works as the README's quick start says.
 */
export async function findOrBuildK6(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return findK6(env);
  } catch (err) {
    if (env.K6_BIN || env.GAMEDAY_K6) throw err;
    await timed(`building k6 ${defaults.tools.k6Version} (go install, once)`, ensureK6);
    return findK6(env);
  }
}

/** "v1.8.1" from `k6 version`. */
export async function k6Version(bin: string): Promise<string> {
  try {
    const { stdout } = await run(bin, ['version'], { timeout: 15_000 });
    return /k6 (v\S+)/.exec(stdout)?.[1] ?? stdout.trim();
  } catch (err) {
    throw new EnvironmentError(`${bin} version failed`, { cause: err });
  }
}

/** `k6 inspect` of a bundle: the options k6 resolves, or an error naming the bundle. */
export async function k6Inspect(bin: string, bundle: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run(bin, ['inspect', bundle], { timeout: 60_000, env: { ...env, K6_NO_USAGE_REPORT: 'true' } });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    throw new EnvironmentError(`k6 inspect ${bundle} failed`, { cause: err });
  }
}

/** k6's documented exit codes (errext/exitcodes). */
export const K6_EXIT: Record<number, string> = {
  97: 'cloud test run failed',
  98: 'cloud failed to get progress',
  99: 'thresholds failed',
  100: 'setup timed out',
  101: 'teardown timed out',
  102: 'generic timeout',
  103: 'generic engine error',
  104: 'invalid configuration',
  105: 'externally aborted',
  106: 'cannot start the REST API',
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
