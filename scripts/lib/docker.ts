// Thin handles over the Docker API (dockerode): one for the host engine, one for the swarm.
import Docker from 'dockerode';
import { LOCAL_MANAGER_DOCKER_HOST } from './local-swarm-names.ts';

/** The engine on this machine (local socket): runs the docker-in-docker nodes of the local swarm. */
export function hostDocker(): Docker {
  return new Docker(dockerOptions('unix:///var/run/docker.sock'));
}

/** Parses a DOCKER_HOST value (unix:// or tcp://) into dockerode options. */
export function dockerOptions(dockerHost: string): Docker.DockerOptions {
  // host: undefined on purpose: docker-modem fills unset options from DOCKER_HOST, and a host from
  // there beats socketPath (a user's DOCKER_HOST=tcp://manager sent host-engine calls to the swarm)
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length), host: undefined };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

/** A swarm manager's engine: the user's DOCKER_HOST, else the embedded default's manager. */
export function swarmDocker(dockerHost?: string): Docker {
  return new Docker(dockerOptions(dockerHost ?? process.env.DOCKER_HOST ?? LOCAL_MANAGER_DOCKER_HOST));
}
