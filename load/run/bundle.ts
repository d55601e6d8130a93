// esbuild: TypeScript scenario entry -> one ESM file k6 can run (k6 modules stay external).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SCENARIOS, type ScenarioName } from '../lib/catalog.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';

export const LOAD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function scenarioEntry(scenario: ScenarioName): string {
  return path.join(LOAD_DIR, 'scenarios', `${scenario}.ts`);
}

/** Bundles one scenario into `outDir/<scenario>.js` (+ .map); returns the bundle path. */
export async function bundleScenario(scenario: ScenarioName, outDir: string): Promise<string> {
  const outfile = path.join(outDir, `${scenario}.js`);
  try {
    await build({
      entryPoints: [scenarioEntry(scenario)],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      external: ['k6', 'k6/*'],
      sourcemap: true, // a .map next to the bundle: k6 resolves stack traces to the .ts source
      logLevel: 'silent',
      legalComments: 'none',
    });
  } catch (err) {
    throw new EnvironmentError(`bundling load/scenarios/${scenario}.ts failed`, { cause: err });
  }
  return outfile;
}

export async function bundleAll(outDir: string): Promise<Record<ScenarioName, string>> {
  const out = {} as Record<ScenarioName, string>;
  for (const s of SCENARIOS) out[s] = await bundleScenario(s, outDir);
  return out;
}
