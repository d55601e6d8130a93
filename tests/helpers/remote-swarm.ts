// The environment a user would set to reach the local (embedded) swarm AS A REMOTE one: the
// manager's Docker API under an address that is not the embedded default's, so the suite assumes
// no host engine and no node containers. Tests that play "staging swarm" use this one function, so
// the transport (plain TCP today, TLS with client certificates once the manager serves it) changes
// in one place.
import { LOCAL_SWARM } from '../../scripts/lib/local-swarm-names.ts';

export interface RemoteSwarmEnv {
  DOCKER_HOST: string;
  /** '1' when the API is TLS with client verification; absent for plain TCP */
  DOCKER_TLS_VERIFY?: string;
  /** folder with ca.pem, cert.pem, key.pem (docker CLI convention) */
  DOCKER_CERT_PATH?: string;
}

/** `localhost`, not 127.0.0.1: the embedded default is recognised by its exact address. */
export function remoteSwarmEnv(): RemoteSwarmEnv {
  return { DOCKER_HOST: `tcp://localhost:${LOCAL_SWARM.managerApiPort}` };
}
