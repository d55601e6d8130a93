// The environment for `docker` commands aimed at this machine's engine (building images, running
// the docker-in-docker nodes). A user's DOCKER_HOST names their swarm manager, not this engine.
export const HOST_DOCKER_HOST = 'unix:///var/run/docker.sock';

export function hostEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, DOCKER_HOST: HOST_DOCKER_HOST };
}
