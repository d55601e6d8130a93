// Pinned tools the suite builds for itself: k6 (go install, cached outside the checkout so a fresh
// clone reuses it) and the Debian base image every Dockerfile starts from.
import { hostEnv } from './host-env.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { defaults } from './defaults.ts';
import { EnvironmentError } from './errors.ts';
import { aptInstall, commandExists } from './engine.ts';
import { LOCAL_SWARM } from './local-swarm-names.ts';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

export function k6Path(): string {
  return process.env.GAMEDAY_K6 ?? path.join(defaults.tools.dir, 'k6');
}

export async function k6Version(bin = k6Path()): Promise<string | undefined> {
  if (!fs.existsSync(bin)) return undefined;
  const r = await $({ env: hostEnv(), nothrow: true, quiet: true })`${bin} version`;
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

export async function ensureK6(): Promise<string> {
  const want = defaults.tools.k6Version;
  const have = await k6Version();
  if (have?.includes(`k6 ${want} `)) return `k6 ${want} cached at ${k6Path()}`;
  if (!(await commandExists('go'))) throw new EnvironmentError('k6 must be built with Go, but `go` is not on PATH');
  fs.mkdirSync(defaults.tools.dir, { recursive: true });
  await $({ env: { ...process.env, GOBIN: defaults.tools.dir }, quiet: true })`go install go.k6.io/k6@${want}`;
  const now = await k6Version();
  if (!now?.includes(want)) throw new EnvironmentError(`built k6 but \`k6 version\` says ${now ?? 'nothing'}, expected ${want}`);
  return `built ${now}`;
}

const NETDELAY_SRC = fileURLToPath(new URL('../../chaos/netdelay/', import.meta.url));

/**
 * Builds gameday-netdelay (chaos/netdelay, Go), the packet delayer the netem fault runs on kernels
 * without sch_netem. Static (CGO off) so it runs in any node container; cached by a hash of its
 * sources, so an edit rebuilds it and a fresh clone reuses the cached binary.
 */
export async function ensureNetDelay(): Promise<string> {
  const hash = crypto.createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(NETDELAY_SRC, f)));
  const bin = path.join(defaults.tools.dir, `gameday-netdelay-${hash.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(bin)) return bin;
  if (!(await commandExists('go'))) throw new EnvironmentError('gameday-netdelay must be built with Go, but `go` is not on PATH');
  fs.mkdirSync(defaults.tools.dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  await $({ cwd: NETDELAY_SRC, env: { ...process.env, CGO_ENABLED: '0' }, quiet: true })`go build -trimpath -o ${tmp} .`;
  fs.renameSync(tmp, bin);
  return bin;
}

async function imageExists(ref: string): Promise<boolean> {
  return (await $({ env: hostEnv(), nothrow: true, quiet: true })`docker image inspect ${ref}`).exitCode === 0;
}

function debianMirror(): string {
  // use the mirror apt already uses: containers and debootstrap reach the same one
  try {
    const src = fs.readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
    const m = src.match(/^URIs:\s*(\S+)/m);
    if (m) return m[1];
  } catch {
    /* fall through */
  }
  try {
    const m = fs.readFileSync('/etc/apt/sources.list', 'utf8').match(/^deb\s+(\S+)\s+bookworm\s/m);
    if (m) return m[1];
  } catch {
    /* fall through */
  }
  return 'http://deb.debian.org/debian';
}

export async function ensureBaseImage(): Promise<string> {
  const ref = LOCAL_SWARM.baseImage;
  if (await imageExists(ref)) return `${ref} present`;
  if (!(await commandExists('debootstrap'))) await aptInstall(['debootstrap']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-rootfs-'));
  try {
    await $({ env: hostEnv(), quiet: true })`debootstrap --variant=minbase bookworm ${dir} ${debianMirror()}`;
    await $({ env: hostEnv(), quiet: true })`tar -C ${dir} -c . | docker import - ${ref}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return `built ${ref} with debootstrap`;
}

/** Debian packages the tests and browser scenarios use on the host. */
export async function ensureHostPackages(): Promise<string> {
  const wanted: [string, string][] = [
    ['chromium', 'chromium'],
    ['xmllint', 'libxml2-utils'],
    ['wrk', 'wrk'],
  ];
  const missing: string[] = [];
  for (const [cmd, pkg] of wanted) if (!(await commandExists(cmd))) missing.push(pkg);
  if (!missing.length) return 'chromium, xmllint, wrk present';
  await aptInstall(missing);
  return `installed ${missing.join(', ')}`;
}
