// `npm run gameday [-- --plan FILE]`: a sequence of experiments under continuous load (one
// measurement session, one run folder), the default plan covering every fault kind.
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode, runMain } from '../scripts/lib/errors.ts';
import { warn } from '../scripts/lib/log.ts';
import { faults } from './faults/index.ts';
import { DEFAULT_PLAN, loadPlan } from './gameday-plan.ts';
import { addCommonOptions, interruptController, parseArgs, resolveCommon } from './options.ts';
import { formatPlan, planExperiment } from './plan.ts';
import { dryRunPreflight } from './preflight.ts';
import { runSession } from './session.ts';

const program = addCommonOptions(
  new Command('npm run gameday --')
    .description(
      'Run a game day: the experiments of a plan one after another under continuous load, with one verdict table.\n' +
        'Exit codes: 0 pass, 1 a tolerance failed, 2 bad input or plan, 3 unreachable, 4 refused for safety, 130 interrupted.',
    )
    .option('-p, --plan <file>', `plan file (YAML; env GAMEDAY_PLAN_FILE; default ${path.relative(process.cwd(), DEFAULT_PLAN)})`)
    .option('--dry-run', 'print the plan and run the read-only safety checks; touch nothing'),
);

async function main(): Promise<number> {
  if (parseArgs(program) === 'help') return ExitCode.ok;
  const o = program.opts<Record<string, unknown>>();
  const plan = loadPlan(path.resolve((o.plan as string | undefined) ?? process.env.GAMEDAY_PLAN_FILE ?? DEFAULT_PLAN));
  const common = resolveCommon(o);
  const plans = plan.experiments.map((e) => planExperiment(e, faults));
  if (o.dryRun) {
    process.stdout.write(`game day ${plan.name} (${plan.file}): ${plan.experiments.length} experiments\n\n`);
    plan.experiments.forEach((e, i) => process.stdout.write(`${formatPlan(e, plans[i]!)}\n\n`));
    await dryRunPreflight(plan.experiments, plans, common);
    return ExitCode.ok;
  }
  const ac = interruptController((l) => warn(l));
  const result = await runSession({
    kind: 'gameday',
    label: plan.name,
    planFile: plan.file,
    experiments: plan.experiments,
    target: common.target,
    outDir: common.outDir,
    probeRate: common.probeRate,
    writeRate: common.writeRate,
    load: common.load,
    maxShare: common.maxShare,
    allowManager: common.allowManager,
    signal: ac.signal,
    config: { plan: plan.file, experiments: plan.experiments.map((e) => e.id), options: common },
  });
  return result.exitCode;
}

await runMain(main);
