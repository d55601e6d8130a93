// The environment a user would set to reach the local (embedded) swarm AS A REMOTE one: the
// manager's Docker API under an address that is not the embedded default's, so the suite assumes
// no host engine and no node containers. Tests that play "staging swarm" use this one function, so
// the transport changes in one place: TLS with the client certificate stack:up made (a manager
// created before TLS: plain TCP, until the next cold stack:up).
import { LOCAL_SWARM } from '../../scripts/lib/local-swarm-names.ts';
import { localKnownHosts, localSshDockerHost, localSshKey } from '../../scripts/lib/ssh.ts';
import { localClientCertDir, readManagerApiMode } from '../../scripts/lib/tls.ts';

export interface RemoteSwarmEnv {
  DOCKER_HOST: string;
  /** '1' when the API is TLS with client verification; absent for plain TCP */
  DOCKER_TLS_VERIFY?: string;
  /** folder with ca.pem, cert.pem, key.pem (docker CLI convention) */
  DOCKER_CERT_PATH?: string;
}

/** `localhost`, not 127.0.0.1: the embedded default is recognised by its exact address. */
export function remoteSwarmEnv(env: NodeJS.ProcessEnv = process.env): RemoteSwarmEnv {
  const DOCKER_HOST = `tcp://localhost:${LOCAL_SWARM.managerApiPort}`;
  if (readManagerApiMode(env) !== 'tls') return { DOCKER_HOST };
  return { DOCKER_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: localClientCertDir(env) };
}

/** Whether the local manager serves TLS (created by a stack:up of this version). */
export function remoteSwarmIsTls(env: NodeJS.ProcessEnv = process.env): boolean {
  return readManagerApiMode(env) === 'tls';
}

/** The same swarm over ssh:// (the manager's sshd), with the key and known_hosts stack:up made. */
export function remoteSwarmSshEnv(env: NodeJS.ProcessEnv = process.env): { DOCKER_HOST: string; GAMEDAY_SSH_KEY: string; GAMEDAY_SSH_KNOWN_HOSTS: string } {
  return { DOCKER_HOST: localSshDockerHost(), GAMEDAY_SSH_KEY: localSshKey(env), GAMEDAY_SSH_KNOWN_HOSTS: localKnownHosts(env) };
}
