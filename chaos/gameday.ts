// `npm run gameday [-- --plan FILE]`: a sequence of experiments under continuous load (one
// measurement session, one run folder), the default plan covering every fault kind.
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode, runMain } from '../scripts/lib/errors.ts';
import { faults } from './faults/index.ts';
import { DEFAULT_PLAN, bindPlan, loadPlan } from './gameday-plan.ts';
import { checkTargetOnSwarm } from './targets/index.ts';
import { runLockedSession } from './command.ts';
import { resolveField, sourceLabel } from './config.ts';
import { addCommonOptions, parseArgs, resolveCommand } from './options.ts';
import { formatPlan, planExperiment } from './plan.ts';
import { dryRunPreflight } from './preflight.ts';

const program = addCommonOptions(
  new Command('npm run gameday --')
    .description(
      'Run a game day: the experiments of a plan one after another under continuous load, with one verdict table.\n' +
        'Precedence: flags > environment > gameday.config.json ("chaos" section) > defaults.\n' +
        'Exit codes: 0 pass, 1 a tolerance failed, 2 bad input or plan, 3 unreachable, 4 refused for safety (also: another chaos run holds the lock), 130 interrupted.',
    )
    .option('-p, --plan <file>', `plan file (YAML; env GAMEDAY_PLAN_FILE; file chaos.plan; default ${path.relative(process.cwd(), DEFAULT_PLAN)})`)
    .option('--dry-run', 'print the plan and run the read-only safety checks; touch nothing'),
);

async function main(): Promise<number> {
  if (parseArgs(program) === 'help') return ExitCode.ok;
  const o = program.opts<Record<string, unknown>>();
  const { common, sources } = resolveCommand(program);
  const planFrom = resolveField('plan', sources);
  const plan = planFrom ? loadPlan(path.resolve(planFrom.value as string), sourceLabel('plan', planFrom.from, sources.file)) : loadPlan(DEFAULT_PLAN);
  // roles onto the target's services (bad role or params: exit 2 naming the plan key)
  const experiments = bindPlan(plan, common.app, faults);
  const plans = experiments.map((e) => planExperiment(e, faults));
  await checkTargetOnSwarm(common.target, common.app, plan.experiments);
  if (o.dryRun) {
    process.stdout.write(`game day ${plan.name} (${plan.file}) on ${common.app.name} (${common.app.file ?? common.app.source}): ${experiments.length} experiments\n\n`);
    experiments.forEach((e, i) => process.stdout.write(`${formatPlan(e, plans[i]!)}\n\n`));
    return dryRunPreflight(experiments, plans, common);
  }
  return runLockedSession(common, {
    kind: 'gameday',
    label: plan.name,
    planFile: plan.file,
    experiments,
    config: { plan: plan.file, experiments: experiments.map((e) => e.id), target: { name: common.app.name, file: common.app.file, roles: common.app.roles } },
  });
}

await runMain(main);
