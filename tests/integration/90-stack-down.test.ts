// Last: stack:down removes everything of ours and nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { $ } from 'zx';
import { LOCAL_SWARM, OWNER_LABEL, allNodes } from '../../scripts/lib/local-swarm.ts';
import { nodeVolume } from '../../scripts/lib/local-swarm-names.ts';
import { runTsx } from '../helpers/run.ts';

const q = $({ quiet: true });

describe('stack:down', () => {
  it('leaves no container, network, volume or secret of ours behind, and touches nothing else', async () => {
    // a bystander container that is not ours must survive
    const bystander = `bystander-${process.pid}`;
    await q`docker create --name ${bystander} ${LOCAL_SWARM.baseImage} true`;
    try {
      const r = await runTsx('scripts/stack.ts', ['down'], { timeoutMs: 5 * 60_000 });
      assert.equal(r.code, 0, r.stderr);
      const containers = (await q`docker ps -a --format {{.Names}}`).stdout.split('\n');
      for (const n of [LOCAL_SWARM.registry, ...allNodes()]) assert.ok(!containers.includes(n), `container ${n} still there`);
      assert.equal((await q`docker ps -aq --filter label=${OWNER_LABEL}=true`).stdout.trim(), '');
      assert.ok(containers.includes(bystander), 'a container that is not ours was removed');
      const volumes = (await q`docker volume ls --format {{.Name}}`).stdout.split('\n');
      for (const v of [...allNodes().map(nodeVolume), `${LOCAL_SWARM.registry}-data`]) assert.ok(!volumes.includes(v), `volume ${v} still there`);
      const nets = (await q`docker network ls --format {{.Name}}`).stdout.split('\n');
      assert.ok(!nets.includes(LOCAL_SWARM.network), 'network still there');
      // secrets and overlay networks live in the swarm's raft store, on the manager's volume: gone with it
    } finally {
      await $({ quiet: true, nothrow: true })`docker rm -f ${bystander}`;
    }
  });
});
