// Tools the suite builds for itself: its load engine and packet delayer (Go, in this repo, cached
// outside the checkout by source hash so a fresh clone reuses them) and the Debian base image every
// Dockerfile starts from.
import { hostEnv } from './host-env.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { defaults } from './defaults.ts';
import { EnvironmentError } from './errors.ts';
import { aptInstall, commandExists } from './engine.ts';
import { LOCAL_SWARM } from './local-swarm-names.ts';
import { step } from './log.ts';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const NETDELAY_SRC = fileURLToPath(new URL('../../chaos/netdelay/', import.meta.url));
export const LOAD_ENGINE_SRC = fileURLToPath(new URL('../../load/engine/', import.meta.url));

/** The Go sources a binary is built from (tests and docs left out): what its cache key hashes. */
function goSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.name.endsWith('.go') && !e.name.endsWith('_test.go')) || e.name === 'go.mod' || e.name === 'go.sum') out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Builds a Go program of this repo into the tools dir, static (CGO off) so it also runs inside node
 * containers, cached by a hash of its sources: an edit rebuilds it, a fresh clone reuses it.
 */
async function goBuild(srcDir: string, name: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for (const f of goSources(srcDir)) hash.update(path.relative(srcDir, f)).update(fs.readFileSync(f));
  const bin = path.join(defaults.tools.dir, `${name}-${hash.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(bin)) return bin;
  if (!(await commandExists('go'))) throw new EnvironmentError(`${name} must be built with Go, but \`go\` is not on PATH`);
  fs.mkdirSync(defaults.tools.dir, { recursive: true });
  step(`building ${name} from ${path.relative(process.cwd(), srcDir) || srcDir} (go build; once per source change)`);
  const tmp = `${bin}.tmp-${process.pid}`;
  await $({ cwd: srcDir, env: { ...process.env, CGO_ENABLED: '0' }, quiet: true })`go build -trimpath -o ${tmp} .`;
  fs.renameSync(tmp, bin);
  return bin;
}

/** gameday-netdelay (chaos/netdelay), the packet delayer the netem fault runs on kernels without sch_netem. */
export async function ensureNetDelay(): Promise<string> {
  return goBuild(NETDELAY_SRC, 'gameday-netdelay');
}

/** gameday-engine (load/engine): the suite's own k6-compatible load engine. */
export async function ensureLoadEngine(): Promise<string> {
  return goBuild(LOAD_ENGINE_SRC, 'gameday-engine');
}

/** load/engine/cmd/fakeapi: the benchmark's fake TODO API (also in the engine image, for the distributed-load test). */
export async function ensureFakeApi(): Promise<string> {
  return goBuild(path.join(LOAD_ENGINE_SRC, 'cmd', 'fakeapi'), 'gameday-fakeapi');
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
    // the embedded manager's TLS certificates and ssh keys (scripts/lib/tls.ts, ssh.ts)
    ['openssl', 'openssl'],
    ['ssh-keygen', 'openssh-client'],
  ];
  const missing: string[] = [];
  for (const [cmd, pkg] of wanted) if (!(await commandExists(cmd))) missing.push(pkg);
  if (!missing.length) return 'chromium, xmllint, wrk, openssl, ssh-keygen present';
  await aptInstall(missing);
  return `installed ${missing.join(', ')}`;
}

/** Debian's Prometheus, for a game day's live metrics (`--prometheus`, issue 13): installed on first
 *  use rather than by setup, since most runs do without it. Returns the binary's path. */
export async function ensurePrometheus(): Promise<string> {
  if (!(await commandExists('prometheus'))) {
    step('installing prometheus from Debian (live metrics of --prometheus)');
    await aptInstall(['prometheus']);
  }
  const found = (await $({ env: hostEnv(), quiet: true, nothrow: true })`command -v prometheus`).stdout.trim();
  if (!found) throw new EnvironmentError('--prometheus: no prometheus binary on PATH after installing Debian\'s package');
  return found;
}
