// Idempotent setup, callable from every npm script that needs it: Docker engine, the load engine, the
// packet delayer, Debian base image, host packages, the local swarm's TLS certificates and ssh keys. Prints each step and how long it took.
import { runMain } from './lib/errors.ts';
import { timed, info } from './lib/log.ts';
import { ensureEngine } from './lib/engine.ts';
import { ensureBaseImage, ensureHostPackages, ensureLoadEngine, ensureNetDelay } from './lib/tools.ts';
import { ensureLocalSwarmCerts } from './lib/tls.ts';
import { ensureLocalSwarmSshKeys } from './lib/ssh.ts';

export async function setup(): Promise<void> {
  info(await timed('docker engine', ensureEngine));
  info(await timed('gameday-engine (load engine)', ensureLoadEngine));
  info(await timed('gameday-netdelay (latency without sch_netem)', ensureNetDelay));
  info(await timed('Debian base image', ensureBaseImage));
  info(await timed('host packages', ensureHostPackages));
  // the embedded manager's API certificates and sshd keys (user state dir; stack:up mounts them)
  info(await timed('local swarm TLS certificates and ssh keys', async () => `${ensureLocalSwarmCerts()}; ${ensureLocalSwarmSshKeys()}`));
}

if (import.meta.url === `file://${process.argv[1]}`) await runMain(setup);
