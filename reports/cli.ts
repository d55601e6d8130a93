// npm run report -- <run>                          re-render a run folder ("latest" = newest)
// npm run report -- compare <baseline> <candidate>  regression decision (exit 1 on regression)
// npm run report -- baseline <run> [--out FILE]     save a small committed baseline
// npm run report -- schema [--check]                write / verify reports/result.schema.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ConfigError, ExitCode, runMain } from '../scripts/lib/errors.ts';
import { info, ok, warn } from '../scripts/lib/log.ts';
import { toBaseline } from './baseline.ts';
import { DEFAULT_PARAMS, compare, type CompareParams } from './compare.ts';
import { readComparable, resolveRunDir } from './inputs.ts';
import { loadRun } from './load-run.ts';
import { resultJsonSchema } from './model.ts';
import { OUTPUT_FILES, renderRunFolder } from './render.ts';
import { renderComparisonMarkdown } from './render/compare-markdown.ts';
import { VERDICT_LABEL } from './render/format.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCHEMA_PATH = path.join(here, 'result.schema.json');

function numberFlag(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) throw new ConfigError(`${flag}: expected a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return v;
  };
}

/** Relative to the working directory when inside it, absolute otherwise. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : path.resolve(p);
}

function writeOut(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

export function schemaText(): string {
  return `${JSON.stringify(resultJsonSchema(), null, 2)}\n`;
}

export function buildProgram(): { program: Command; result: { code: number } } {
  const result = { code: 0 };
  const program = new Command('report')
    .description('Render, baseline and compare swarm-gameday run folders (reports/runs/<id>/)')
    .argument('[run]', 'run folder to (re-)render, or "latest"')
    .exitOverride()
    // runMain prints the error once, with its code; commander would print it a second time
    .configureOutput({ outputError: () => {} })
    .action(async (run: string | undefined) => {
      if (!run) {
        program.outputHelp();
        throw new ConfigError('run: expected a run folder, "latest" or a subcommand (compare, baseline, schema), got nothing');
      }
      const dir = resolveRunDir(run);
      if (!fs.statSync(dir).isDirectory()) throw new ConfigError(`run: expected a run folder, got file ${run}`);
      const rendered = await renderRunFolder(dir);
      const verdict = JSON.parse(rendered.json).verdict as { status: keyof typeof VERDICT_LABEL; reasons: string[] };
      ok(`rendered ${VERDICT_LABEL[verdict.status]} report`);
      for (const f of Object.values(OUTPUT_FILES)) info(shown(path.join(dir, f)));
      process.stdout.write(`${path.join(dir, OUTPUT_FILES.html)}\n`);
    });

  program
    .command('compare')
    .description('compare a candidate run with a baseline; exit 1 naming what regressed and by how much')
    .argument('<baseline>', 'baseline: run folder, result.json or reports/baselines/NAME.json')
    .argument('<candidate>', 'candidate: run folder (or "latest"), result.json or baseline file')
    .addOption(new Option('--min-effect <ratio>', 'minimum relative change that can count as a regression').default(DEFAULT_PARAMS.minEffect).argParser(numberFlag('--min-effect', 0, 10)))
    .addOption(new Option('--noise-margin <ratio>', 'run-to-run drift the per-bucket test must see past').default(DEFAULT_PARAMS.noiseMargin).argParser(numberFlag('--noise-margin', 0, 1)))
    .addOption(new Option('--alpha <p>', 'family-wise significance level (Holm-corrected)').default(DEFAULT_PARAMS.alpha).argParser(numberFlag('--alpha', 1e-9, 0.5)))
    .addOption(new Option('--min-error-delta <ratio>', 'minimum error-rate increase (absolute, 0.005 = 0.5 pp)').default(DEFAULT_PARAMS.minErrorDelta).argParser(numberFlag('--min-error-delta', 0, 1)))
    .addOption(new Option('--min-buckets <n>', 'buckets needed per side for a statistical test').default(DEFAULT_PARAMS.minBuckets).argParser(numberFlag('--min-buckets', 3, 1e6)))
    .option('--markdown <file>', 'also write the comparison as Markdown (CI job summary / PR comment)')
    .option('--json <file>', 'also write the comparison as JSON')
    .action(async (baseArg: string, candArg: string, opts: { minEffect: number; noiseMargin: number; alpha: number; minErrorDelta: number; minBuckets: number; markdown?: string; json?: string }) => {
      const params: CompareParams = { ...DEFAULT_PARAMS, minEffect: opts.minEffect, noiseMargin: opts.noiseMargin, alpha: opts.alpha, minErrorDelta: opts.minErrorDelta, minBuckets: Math.round(opts.minBuckets) };
      const base = await readComparable(baseArg, 'baseline');
      const cand = await readComparable(candArg, 'candidate');
      const cmp = compare(base, cand, params);
      const md = renderComparisonMarkdown(cmp);
      process.stdout.write(md);
      if (opts.markdown) writeOut(opts.markdown, md);
      if (opts.json) writeOut(opts.json, `${JSON.stringify(cmp, null, 2)}\n`);
      if (cmp.regressed) {
        for (const r of cmp.regressions) warn(`regression: ${r}`);
        result.code = ExitCode.failed;
      } else ok('no regression');
    });

  program
    .command('baseline')
    .description('save a run as a small baseline file to commit')
    .argument('<run>', 'run folder or "latest"')
    .option('--out <file>', 'where to write it (default reports/baselines/<profile>-<scenario>.json)')
    .option('--name <name>', 'name recorded in the baseline')
    .action(async (run: string, opts: { out?: string; name?: string }) => {
      const dir = resolveRunDir(run);
      if (!fs.statSync(dir).isDirectory()) throw new ConfigError(`run: expected a run folder, got file ${run}`);
      const r = await loadRun(dir);
      if (!r.run.complete) warn('this run is INCOMPLETE: a baseline from it covers only what it recorded');
      if (!r.timeseries) warn('this run has no k6 time series: the baseline has no per-bucket samples, so comparisons against it report "insufficient data"');
      const name = opts.name ?? ([r.run.profile, r.run.scenario].filter(Boolean).join('-') || 'default');
      const out = opts.out ?? path.join('reports', 'baselines', `${name}.json`);
      writeOut(out, `${JSON.stringify(toBaseline(r, name))}\n`);
      ok(`baseline ${name} written (${(fs.statSync(out).size / 1024).toFixed(1)} KiB)`);
      process.stdout.write(`${out}\n`);
    });

  program
    .command('schema')
    .description('write the RunResult JSON Schema (reports/result.schema.json), or --check it is current')
    .option('--out <file>', 'where to write it', SCHEMA_PATH)
    .option('--check', 'exit 1 when the file differs from the schema the code defines')
    .action((opts: { out: string; check?: boolean }) => {
      const text = schemaText();
      if (opts.check) {
        const current = fs.existsSync(opts.out) ? fs.readFileSync(opts.out, 'utf8') : '';
        if (current !== text) {
          warn(`${opts.out} is out of date: run npm run report -- schema`);
          result.code = ExitCode.failed;
        } else ok(`${opts.out} is current`);
        return;
      }
      writeOut(opts.out, text);
      ok(`wrote ${opts.out}`);
    });
  return { program, result };
}

export async function main(argv: string[]): Promise<number> {
  const { program, result } = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    // commander's own errors (unknown option, missing argument) are bad input: exit 2
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) throw new ConfigError(`${(e.message ?? String(err)).replace(/^error: /, '')} (npm run report -- --help for usage)`);
    throw err;
  }
  return result.code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void runMain(() => main(process.argv.slice(2)));
}
