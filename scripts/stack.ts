// npm run stack:up | stack:down | stack:status — the embedded default target.
import { Command } from 'commander';
import Table from 'cli-table3';
import { runMain } from './lib/errors.ts';
import { ok, info } from './lib/log.ts';
import { dockerCliEnv, swarmDocker } from './lib/docker.ts';
import { localKnownHosts, localSshDockerHost, localSshKey } from './lib/ssh.ts';
import { stackDown, stackUp, localTarget } from './lib/local-swarm.ts';
import { replicaStates } from './lib/swarm/deploy.ts';
import { serviceStates } from './lib/swarm/state.ts';
import { defaults } from './lib/defaults.ts';
import fs from 'node:fs';
import { LEGACY_STATS_PASSWORD, statsPasswordFile } from './lib/stats-password.ts';
import { localDockerConfig, registryPasswordFile, REGISTRY_USER } from './lib/registry-auth.ts';

// plain tables like every other command: cli-table3's default red/grey would go to logs and pipes too
const PLAIN = { head: [] as string[], border: [] as string[] };

async function status(dockerHost?: string): Promise<number> {
  const docker = swarmDocker(dockerHost ?? process.env.DOCKER_HOST ?? localTarget().dockerHost);
  const nodes = await docker.listNodes();
  const nt = new Table({ head: ['node', 'role', 'status', 'availability'], style: PLAIN });
  for (const n of nodes) nt.push([n.Description?.Hostname ?? n.ID, n.Spec?.Role ?? '', n.Status?.State ?? '', n.Spec?.Availability ?? '']);
  console.log(nt.toString());
  const st = new Table({ head: ['service', 'running/desired', 'image'], style: PLAIN });
  const states = await serviceStates(docker);
  for (const s of states) st.push([s.name, `${s.running}/${s.desired}`, s.image]);
  console.log(st.toString());
  const rt = new Table({ head: ['replica', 'node', 'io thread', 'sql thread', 'heartbeat lag ms', 'Seconds_Behind_Master'], style: PLAIN });
  for (const r of await replicaStates(docker)) {
    rt.push([r.task, r.node, String(r.ioRunning), String(r.sqlRunning), String(r.heartbeatLagMs), String(r.secondsBehindMaster)]);
  }
  console.log(rt.toString());
  const degraded = states.filter((s) => s.running !== s.desired);
  return degraded.length ? 1 : 0;
}

const program = new Command('stack').description('the embedded default: the TODO app on a local swarm');
program
  .command('up')
  .description('build what is missing, create the swarm if absent, deploy, wait until healthy')
  .action(async () => {
    const t0 = performance.now();
    const t = await stackUp();
    ok(`stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`web frontend   ${t.ingressUrl}/`);
    console.log(`TODO API       ${t.ingressUrl}/api/todo?status=TODO`);
    console.log(`HAProxy stats  ${t.statsUrl}/stats  (user ${defaults.local.statsUser}, password: ${process.env.GAMEDAY_STATS_PASSWORD ? 'GAMEDAY_STATS_PASSWORD' : fs.existsSync(statsPasswordFile()) ? `in ${statsPasswordFile()}` : `${LEGACY_STATS_PASSWORD} (a swarm created before it was generated)`})`);
    console.log(`Prometheus     ${t.statsUrl}/metrics`);
    console.log(`Registry       http://127.0.0.1:${defaults.local.registryPort}  (user ${REGISTRY_USER}, password: in ${registryPasswordFile()}; docker CLI: DOCKER_CONFIG=${localDockerConfig()})`);
    // the full environment a user needs for the docker CLI (and for this suite) against the swarm
    const cli = dockerCliEnv(t.dockerHost);
    console.log(`Docker API     ${Object.entries(cli).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (!cli.DOCKER_TLS_VERIFY) console.log(`               (plain TCP: this manager predates TLS; migrate with npm run stack:down && npm run stack:up)`);
    else console.log(`ssh (suite)    DOCKER_HOST=${localSshDockerHost()} GAMEDAY_SSH_KEY=${localSshKey()} GAMEDAY_SSH_KNOWN_HOSTS=${localKnownHosts()}`);
  });
program
  .command('down')
  .description('remove every container, volume, network and secret the local swarm created')
  .action(async () => {
    const removed = await stackDown();
    for (const r of removed) info(`removed ${r}`);
    ok(removed.length ? 'local swarm removed' : 'nothing to remove');
  });
program
  .command('status')
  .description('nodes, services with running/desired, replication state of each replica')
  .option('--docker-host <url>', 'a swarm manager (default: DOCKER_HOST, else the local swarm)')
  .action(async (o: { dockerHost?: string }) => {
    process.exitCode = await status(o.dockerHost);
  });

await runMain(async () => {
  await program.parseAsync(process.argv);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
});
