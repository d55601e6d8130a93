// Resolves what the report CLI is pointed at: a run folder, "latest", a result.json or a committed
// baseline file. I/O plus validation at the edge; bad input is a ConfigError naming what was wrong.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../scripts/lib/errors.ts';
import { defaults } from '../scripts/lib/defaults.ts';
import { BASELINE_FORMAT, BaselineSchema, toBaseline, type Baseline } from './baseline.ts';
import { loadRun } from './load-run.ts';
import { RunResult } from './model.ts';

/** Newest run folder under the runs directory (by run.json startedAt, then folder name). */
export function latestRunDir(root = defaults.reportsDir): string {
  const abs = path.resolve(root);
  const dirs = fs.existsSync(abs)
    ? fs
        .readdirSync(abs, { withFileTypes: true })
        .filter((d) => d.isDirectory() && fs.existsSync(path.join(abs, d.name, 'run.json')))
        .map((d) => {
          let started = '';
          try {
            started = String(JSON.parse(fs.readFileSync(path.join(abs, d.name, 'run.json'), 'utf8')).startedAt ?? '');
          } catch {
            // unreadable run.json: sort by name only
          }
          return { dir: path.join(abs, d.name), key: `${started}\u0000${d.name}` };
        })
    : [];
  if (!dirs.length) throw new ConfigError(`run: expected at least one run folder under ${root} for "latest", got none (run npm run load first)`);
  dirs.sort((a, b) => a.key.localeCompare(b.key));
  return dirs[dirs.length - 1].dir;
}

export function resolveRunDir(arg: string, root = defaults.reportsDir): string {
  if (arg === 'latest') return latestRunDir(root);
  const abs = path.resolve(arg);
  if (!fs.existsSync(abs)) throw new ConfigError(`run: expected a run folder, "latest", a result.json or a baseline file, got ${JSON.stringify(arg)} (no such file or directory)`);
  return abs;
}

function zodIssue(err: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const i = err.issues[0];
  return i ? `field ${i.path.map(String).join('.') || '(root)'}: ${i.message}` : 'invalid';
}

/** Anything compare accepts, reduced to a baseline. `label` names it in messages. */
export async function readComparable(arg: string, label: string): Promise<Baseline> {
  const p = resolveRunDir(arg);
  if (fs.statSync(p).isDirectory()) return toBaseline(await loadRun(p), path.basename(p));
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${label}: expected a JSON baseline or result file, got unparseable ${arg} (${(err as Error).message})`, { cause: err });
  }
  const obj = data as Record<string, unknown> | null;
  if (obj && obj.format === BASELINE_FORMAT) {
    const parsed = BaselineSchema.safeParse(data);
    if (!parsed.success) throw new ConfigError(`${label}: ${arg} is not a valid baseline: ${zodIssue(parsed.error)}`, { cause: parsed.error });
    return parsed.data;
  }
  if (obj && typeof obj.schemaVersion === 'number' && obj.run) {
    const parsed = RunResult.safeParse(data);
    if (!parsed.success) throw new ConfigError(`${label}: ${arg} is not a valid result.json: ${zodIssue(parsed.error)}`, { cause: parsed.error });
    return toBaseline(parsed.data, path.basename(path.dirname(p)));
  }
  throw new ConfigError(`${label}: expected a run folder, a result.json or a baseline file (format "${BASELINE_FORMAT}"), got ${arg} with neither`);
}
