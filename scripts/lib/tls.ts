// TLS for Docker API connections, as the docker CLI reads it (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
// with ca.pem, cert.pem, key.pem), and the certificates of the embedded local swarm's manager:
// a CA, a server certificate (SANs 127.0.0.1, localhost, the manager's hostname) and a client
// certificate, made with the openssl CLI into the user's state dir (0700), never the checkout:
//   <state dir>/local-swarm/tls/ca/       the CA key and certificate (re-issues certificates)
//   <state dir>/local-swarm/tls/server/   ca.pem cert.pem key.pem, mounted read-only in the manager
//   <state dir>/local-swarm/tls/client/   ca.pem cert.pem key.pem: DOCKER_CERT_PATH for the user
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, EnvironmentError } from './errors.ts';
import { LOCAL_SWARM } from './local-swarm-names.ts';
import { localSwarmStateDir, writePrivateFile } from './state-dir.ts';

export const CERT_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;

export interface TlsFiles {
  dir: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function localTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSwarmStateDir(env), 'tls');
}
/** DOCKER_CERT_PATH for the embedded default's manager. */
export function localClientCertDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localTlsDir(env), 'client');
}
export function localServerCertDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localTlsDir(env), 'server');
}

// How the running manager container serves its API ('tls', or 'tcp' for a manager created before
// TLS), written by ensureNodes from the container's label: lets the synchronous option building
// pick the transport for the embedded default without asking the host engine.
export type ManagerApiMode = 'tls' | 'tcp';

/**
 * While true, a manager created before TLS (mode 'tcp', or no mode file yet) is still reached over
 * plain TCP and ensureNodes only warns; false makes TLS final: the embedded default is always
 * reached with its certificates and ensureNodes refuses an old manager, naming the migration.
 */
export const PLAIN_MANAGER_ALLOWED = false;

/** The transport to use for the embedded default when the environment names no TLS. */
export function embeddedManagerUsesTls(env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = readManagerApiMode(env);
  return mode === 'tls' || !PLAIN_MANAGER_ALLOWED;
}
export function managerApiModeFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(localSwarmStateDir(env), 'manager-api');
}
export function readManagerApiMode(env: NodeJS.ProcessEnv = process.env): ManagerApiMode | undefined {
  try {
    const v = fs.readFileSync(managerApiModeFile(env), 'utf8').trim();
    return v === 'tls' || v === 'tcp' ? v : undefined;
  } catch {
    return undefined;
  }
}
export function writeManagerApiMode(mode: ManagerApiMode | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const f = managerApiModeFile(env);
  if (mode === undefined) {
    fs.rmSync(f, { force: true });
    return;
  }
  writePrivateFile(f, `${mode}\n`);
}

/**
 * The folder the docker CLI would take its TLS files from, when it would use TLS at all:
 * DOCKER_TLS_VERIFY set to anything non-empty (the CLI's rule: even "0"), files from
 * DOCKER_CERT_PATH, else $DOCKER_CONFIG, else ~/.docker.
 */
export function envTlsDir(env: NodeJS.ProcessEnv = process.env): { dir: string; source: string } | undefined {
  if (!env.DOCKER_TLS_VERIFY) return undefined;
  if (env.DOCKER_CERT_PATH) return { dir: path.resolve(env.DOCKER_CERT_PATH), source: 'DOCKER_CERT_PATH' };
  const dir = env.DOCKER_CONFIG ? path.resolve(env.DOCKER_CONFIG) : path.join(os.homedir(), '.docker');
  return { dir, source: 'DOCKER_TLS_VERIFY' };
}

/** Reads ca.pem, cert.pem, key.pem; a missing folder or file is a ConfigError naming `source`. */
export function readTlsDir(dir: string, source: string): TlsFiles {
  const what =
    source === 'DOCKER_CERT_PATH'
      ? `DOCKER_CERT_PATH: expected a folder with ${CERT_FILES.join(', ')} (DOCKER_TLS_VERIFY is set)`
      : source === 'DOCKER_TLS_VERIFY'
        ? `${source}: expected ${CERT_FILES.join(', ')} in DOCKER_CERT_PATH (unset: ${dir})`
        : `${source}: expected ${CERT_FILES.join(', ')} in ${dir}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new ConfigError(`${what}, got ${JSON.stringify(dir)}, which does not exist`);
  }
  if (!st.isDirectory()) throw new ConfigError(`${what}, got ${JSON.stringify(dir)}, which is not a folder`);
  const missing = CERT_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) throw new ConfigError(`${what}, got ${JSON.stringify(dir)} without ${missing.join(', ')}`);
  const read = (f: string) => {
    try {
      return fs.readFileSync(path.join(dir, f));
    } catch (err) {
      throw new ConfigError(`${what}, got ${JSON.stringify(path.join(dir, f))}, which cannot be read (${(err as Error).message})`);
    }
  };
  return { dir, ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

// ---------------------------------------------------------------------------------------------
// Certificates of the embedded default (openssl CLI; Debian's `openssl` package).

/** Names the server certificate must cover: the published address and the manager's hostname. */
export const SERVER_NAMES = { dns: ['localhost', LOCAL_SWARM.manager], ip: ['127.0.0.1'] };
const DAYS = 825; // the longest validity clients accept for a server certificate
const RENEW_BEFORE_S = 30 * 86400;

function openssl(args: string[], cwd: string): string {
  try {
    return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new EnvironmentError('the openssl CLI is not on PATH: run `npm run setup` (installs Debian\'s openssl) or install it');
    throw new EnvironmentError(`openssl ${args[0]} failed: ${String(e.stderr ?? err).trim().slice(0, 400)}`);
  }
}


/** True when every file is there, chains to the CA, covers the names and is not about to expire. */
function certsUsable(tls: string): boolean {
  const need = ['ca/ca.pem', 'ca/ca-key.pem', ...CERT_FILES.map((f) => `server/${f}`), ...CERT_FILES.map((f) => `client/${f}`)];
  if (!need.every((f) => fs.existsSync(path.join(tls, f)))) return false;
  try {
    for (const who of ['server', 'client']) {
      const c = new crypto.X509Certificate(fs.readFileSync(path.join(tls, who, 'cert.pem')));
      const ca = new crypto.X509Certificate(fs.readFileSync(path.join(tls, 'ca', 'ca.pem')));
      if (!c.verify(ca.publicKey)) return false;
      if (Date.parse(c.validTo) - Date.now() < RENEW_BEFORE_S * 1000) return false;
      if (!c.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(tls, who, 'key.pem'))))) return false;
      if (who === 'server') {
        if (!SERVER_NAMES.dns.every((n) => c.checkHost(n))) return false;
        if (!SERVER_NAMES.ip.every((ip) => c.checkIP(ip))) return false;
      }
    }
  } catch {
    return false;
  }
  return true;
}

/**
 * Makes the embedded default's CA, server and client certificates unless usable ones exist
 * (idempotent). Returns what it did, for setup's step line.
 */
export function ensureLocalSwarmCerts(env: NodeJS.ProcessEnv = process.env): string {
  const tls = localTlsDir(env);
  for (const d of [localSwarmStateDir(env), tls, path.join(tls, 'ca'), path.join(tls, 'server'), path.join(tls, 'client')]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.chmodSync(d, 0o700);
  }
  if (certsUsable(tls)) return `TLS certificates in ${tls}`;
  const work = fs.mkdtempSync(path.join(tls, '.new-'));
  try {
    const key = (name: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], work);
    key('ca-key.pem');
    openssl(['req', '-x509', '-new', '-key', 'ca-key.pem', '-sha256', '-days', String(DAYS + 30), '-subj', '/CN=swarm-gameday local swarm CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.pem'], work);
    const san = [...SERVER_NAMES.dns.map((n) => `DNS:${n}`), ...SERVER_NAMES.ip.map((n) => `IP:${n}`)].join(',');
    const issue = (who: 'server' | 'client', cn: string, ext: string) => {
      key(`${who}-key.pem`);
      openssl(['req', '-new', '-key', `${who}-key.pem`, '-subj', `/CN=${cn}`, '-out', `${who}.csr`], work);
      fs.writeFileSync(path.join(work, `${who}.ext`), ext);
      openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-set_serial', `0x${crypto.randomBytes(12).toString('hex')}`,
        '-days', String(DAYS), '-sha256', '-extfile', `${who}.ext`, '-out', `${who}-cert.pem`], work);
    };
    issue('server', LOCAL_SWARM.manager, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n`);
    issue('client', 'swarm-gameday client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n');
    const rd = (f: string) => fs.readFileSync(path.join(work, f));
    // the CA key last: a crash half-way leaves certsUsable() false, so the next run re-issues all
    for (const who of ['server', 'client'] as const) {
      writePrivateFile(path.join(tls, who, 'ca.pem'), rd('ca.pem'));
      writePrivateFile(path.join(tls, who, 'cert.pem'), rd(`${who}-cert.pem`));
      writePrivateFile(path.join(tls, who, 'key.pem'), rd(`${who}-key.pem`));
    }
    writePrivateFile(path.join(tls, 'ca', 'ca.pem'), rd('ca.pem'));
    writePrivateFile(path.join(tls, 'ca', 'ca-key.pem'), rd('ca-key.pem'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (!certsUsable(tls)) throw new EnvironmentError(`the certificates made in ${tls} do not verify (openssl output unexpected)`);
  return `made a CA, a server and a client certificate in ${tls}`;
}
