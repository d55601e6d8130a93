// Makes sure a Docker engine answers. On Debian as root it installs docker.io and starts dockerd
// itself (CI starts with no daemon); elsewhere it says what is missing.
import { hostEnv } from './host-env.ts';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { $ } from 'zx';
import { EnvironmentError } from './errors.ts';
import { info, sleep } from './log.ts';

const DOCKERD_LOG = '/var/log/swarm-gameday/dockerd.log';

export async function engineAnswers(): Promise<boolean> {
  const r = await $({ env: hostEnv(), nothrow: true, quiet: true, timeout: '20s' })`docker info --format {{.ServerVersion}}`;
  return r.exitCode === 0 && r.stdout.trim().length > 0;
}

function isDebianRoot(): boolean {
  return fs.existsSync('/etc/debian_version') && process.getuid?.() === 0;
}

let aptUpdated = false;
/** apt-get install the given packages if any of their commands are missing. */
export async function aptInstall(packages: string[]): Promise<void> {
  if (!isDebianRoot()) {
    throw new EnvironmentError(`missing packages ${packages.join(', ')}: install them (this machine is not Debian as root, so setup cannot)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await $({ env, quiet: true })`apt-get update`;
    aptUpdated = true;
  }
  await $({ env, quiet: true })`apt-get install -y --no-install-recommends ${packages}`;
}

export async function commandExists(cmd: string): Promise<boolean> {
  return (await $({ env: hostEnv(), nothrow: true, quiet: true })`command -v ${cmd}`).exitCode === 0;
}

export async function ensureEngine(): Promise<string> {
  if (await engineAnswers()) return 'already running';
  if (!isDebianRoot()) {
    throw new EnvironmentError(
      'no Docker engine answers (docker info failed). Start one, or point DOCKER_HOST at one; ' +
        'setup only installs and starts dockerd itself on Debian as root',
    );
  }
  if (!(await commandExists('dockerd'))) {
    info('installing docker.io from Debian');
    await aptInstall(['docker.io']);
  }
  fs.mkdirSync('/var/log/swarm-gameday', { recursive: true });
  const out = fs.openSync(DOCKERD_LOG, 'a');
  // detached: the engine outlives this process, as a service would
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (await engineAnswers()) return `started dockerd (pid ${child.pid}, log ${DOCKERD_LOG})`;
    await sleep(1000);
  }
  throw new EnvironmentError(`dockerd did not answer within 90 s; see ${DOCKERD_LOG}`);
}
