// `npm run chaos -- <experiment> [options]`: one experiment under load, a verdict table at the end.
// Thin: parse, validate, hand over to the session.
import { Command } from 'commander';
import { ConfigError, ExitCode, runMain } from '../scripts/lib/errors.ts';
import { info, ok, step, warn } from '../scripts/lib/log.ts';
import { experiments, getExperiment } from './experiments/index.ts';
import { faults } from './faults/index.ts';
import { otherSwarmsRecords, runLockedSession, withSwarmLocked } from './command.ts';
import { addCommonOptions, leaveOnSignal, parseArgs, resolveCommand } from './options.ts';
import { describeTolerances, formatPlan, planExperiment } from './plan.ts';
import { dryRunPreflight } from './preflight.ts';
import { recoverWith } from './session.ts';
import { hostAccessProblem } from './safety.ts';
import { accessFor, nodeContainerNote } from './target.ts';
import { sweepAgentServices } from './agent/sweep.ts';
import { chaosContext } from './target.ts';
import { bindExperiment, checkTargetOnSwarm } from './targets/index.ts';

const program = addCommonOptions(
  new Command('npm run chaos --')
    .description(
      'Run one chaos experiment against the swarm while probing the app, and give a verdict.\n' +
        'Precedence: flags > environment > gameday.config.json ("chaos" section) > defaults.\n' +
        'Exit codes: 0 pass, 1 a tolerance failed, 2 bad input, 3 unreachable, 4 refused for safety (also: another chaos run holds the lock), 130 interrupted.',
    )
    .argument('[experiment]', 'experiment id (see --list)')
    .option('--list', 'list the experiments and the fault kinds')
    .option('--dry-run', 'print the plan and run the read-only safety checks; touch nothing')
    .option('--recover', 'undo every fault a killed run left in the ledger, then exit'),
);

async function main(): Promise<number> {
  if (parseArgs(program) === 'help') return ExitCode.ok;
  const o = program.opts<Record<string, unknown>>();
  const id = program.args[0];

  if (o.list) {
    const { common } = resolveCommand(program);
    const access = accessFor(common.target);
    process.stdout.write(`swarm ${common.target.dockerHost}: node-local steps ${access.viaAgent ? 'through the chaos agent (Swarm services)' : 'in the node containers of the embedded local swarm'}\n\n`);
    process.stdout.write(`target: ${common.app.name} (${common.app.file ?? common.app.source})\n\n`);
    for (const roleLevel of experiments.values()) {
      let e;
      try {
        e = bindExperiment(roleLevel, common.app, faults);
      } catch (err) {
        process.stdout.write(`${roleLevel.id.padEnd(30)} ${roleLevel.title}\n${''.padEnd(30)} does not run on this target: ${(err as Error).message}\n`);
        continue;
      }
      const plan = planExperiment(e, faults);
      const problem = hostAccessProblem(plan, access);
      const local = nodeContainerNote(plan, access);
      process.stdout.write(
        `${e.id.padEnd(30)} ${e.title}\n${''.padEnd(30)} tolerances: ${describeTolerances(e)}\n${''.padEnd(30)} ${problem ? `does not run on this swarm: ${problem}` : `runs on this swarm${local ? ` (local only: ${local})` : access.viaAgent && plan.some((s) => s.fault?.needsHost) ? ' (through the agent)' : ''}`}\n`,
      );
    }
    process.stdout.write(`\nfault kinds:\n${[...faults.values()].map((f) => `  ${f.kind.padEnd(18)} ${f.summary}`).join('\n')}\n`);
    return ExitCode.ok;
  }

  const { common } = resolveCommand(program);
  if (o.recover) {
    // --recover acts on the swarm it is connected to, only on that swarm's records, and only on
    // a swarm marked allowed; it does not start the embedded default
    return withSwarmLocked(
      'chaos',
      common,
      async ({ identity, ledger }) => {
        leaveOnSignal((sig) => `${sig}: recovery stopped; what is not undone stays in the ledger (run --recover again)`);
        const ctx = chaosContext(common.target, { maxShare: common.maxShare ?? 0.5, allowManager: common.allowManager, log: info, swarmId: identity.clusterId });
        step(`recovering swarm ${identity.clusterId} (${common.target.dockerHost}) from the ledger ${ledger.file}`);
        const results = await recoverWith(ctx, ledger, faults, identity.clusterId);
        if (!results.length) ok('nothing to recover on this swarm');
        for (const r of results) (r.ok ? ok : warn)(`${r.record.entry.kind} "${r.record.entry.name}": ${r.ok ? 'undone' : `FAILED: ${r.error} (kept in the ledger)`}`);
        for (const line of otherSwarmsRecords(identity.clusterId, ledger)) warn(line);
        const swept = await sweepAgentServices(ctx.swarm, ledger.read());
        if (swept.length) ok(`removed ${swept.length} leftover agent service(s): ${swept.join(', ')}`);
        const { removeChaosLoadLeftovers } = await import('../load/run/distributed.ts');
        const loads = await removeChaosLoadLeftovers(ctx.swarm, info);
        if (loads.length) ok(`removed ${loads.length} leftover background load service(s): ${loads.join(', ')}`);
        return results.every((r) => r.ok) ? ExitCode.ok : ExitCode.failed;
      },
      { ensure: false },
    );
  }

  if (!id) throw new ConfigError('experiment: expected an experiment id (see --list), got none');
  const roleLevel = getExperiment(id);
  const exp = bindExperiment(roleLevel, common.app, faults);
  const plan = planExperiment(exp, faults);
  await checkTargetOnSwarm(common.target, common.app, [roleLevel]);

  if (o.dryRun) {
    process.stdout.write(`${formatPlan(exp, plan)}\n`);
    return dryRunPreflight([exp], [plan], common);
  }

  return runLockedSession(common, { kind: 'chaos', label: exp.id, experiments: [exp], config: { experiment: exp, target: { name: common.app.name, file: common.app.file, roles: common.app.roles } } });
}

await runMain(main);
