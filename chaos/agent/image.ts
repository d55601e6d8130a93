// The gameday-agent image (chaos/agent/Dockerfile): built on this machine from the project's
// Debian base with the gameday-netdelay binary copied in, tagged by content (image id) and pushed
// where the swarm's nodes pull from: the local registry for the embedded swarm (nodes see it as
// registry:5000), or the registry the user names (--agent-registry / GAMEDAY_AGENT_REGISTRY) for
// another swarm. GAMEDAY_AGENT_IMAGE names a ready-made reference instead (nothing is built).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { defaults } from '../../scripts/lib/defaults.ts';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { hostEnv } from '../../scripts/lib/host-env.ts';
import { ensureBaseImage, ensureNetDelay } from '../../scripts/lib/tools.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** what the image is built from, besides the delayer binary */
const FILES = ['Dockerfile', 'run.sh', 'supervise.sh'];
export const AGENT_REPOSITORY = 'swarm-gameday/gameday-agent';

export interface AgentImageOptions {
  /** registry host[:port] the image is pushed to AND the nodes pull from; absent: the local registry */
  registry?: string;
  /** a ready-made reference (GAMEDAY_AGENT_IMAGE): used as is */
  image?: string;
  log?: (line: string) => void;
}

/** The reference the nodes pull, for a content id and a registry (pure). */
export function agentImageRef(id: string, registry?: string): string {
  return `${registry ?? 'registry:5000'}/${AGENT_REPOSITORY}:${id}`;
}

const cache = new Map<string, Promise<string>>();

/** Builds (once per process and source) and pushes the agent image; returns the node-side reference. */
export function ensureAgentImage(o: AgentImageOptions = {}): Promise<string> {
  if (o.image) return Promise.resolve(o.image);
  const key = o.registry ?? '';
  let p = cache.get(key);
  if (!p) {
    p = build(o).catch((err) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, p);
  }
  return p;
}

async function build(o: AgentImageOptions): Promise<string> {
  await ensureBaseImage();
  const bin = await ensureNetDelay();
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-agent-'));
  try {
    for (const f of FILES) fs.copyFileSync(path.join(HERE, f), path.join(ctx, f));
    fs.copyFileSync(bin, path.join(ctx, 'gameday-netdelay'));
    fs.chmodSync(path.join(ctx, 'gameday-netdelay'), 0o755);
    const local = `${AGENT_REPOSITORY}:latest`;
    const run = $({ env: hostEnv(), quiet: true, nothrow: true, timeout: 600_000 });
    const b = await run`docker build -q -t ${local} ${ctx}`;
    if (b.exitCode !== 0) throw new EnvironmentError(`building the gameday-agent image failed (exit ${b.exitCode}): ${b.stderr.trim().slice(-400)}`);
    const id = (await run`docker image inspect -f {{.Id}} ${local}`).stdout.trim().replace('sha256:', '').slice(0, 12);
    const pushRef = o.registry ? agentImageRef(id, o.registry) : `127.0.0.1:${defaults.local.registryPort}/${AGENT_REPOSITORY}:${id}`;
    await run`docker tag ${local} ${pushRef}`;
    const p = await run`docker push ${pushRef}`;
    if (p.exitCode !== 0) {
      throw new EnvironmentError(
        `pushing the gameday-agent image to ${pushRef} failed (exit ${p.exitCode}): ${p.stderr.trim().slice(-300)}` +
          (o.registry ? '' : '; for a swarm other than the embedded one name a registry its nodes pull from: --agent-registry HOST[:PORT] (GAMEDAY_AGENT_REGISTRY)'),
      );
    }
    // pinned by digest: a node that has the image starts a task without asking the registry
    const digests = (await run`docker image inspect -f ${'{{range .RepoDigests}}{{println .}}{{end}}'} ${pushRef}`).stdout;
    const digest = /@(sha256:[0-9a-f]{64})/.exec(digests.split('\n').find((l) => l.startsWith(pushRef.split(':').slice(0, -1).join(':'))) ?? '')?.[1];
    const ref = agentImageRef(id, o.registry) + (digest ? `@${digest}` : '');
    o.log?.(`agent image: ${ref}`);
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
