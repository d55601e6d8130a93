// Fault mechanics that need no Docker: what counts as the same spec (so undo is idempotent),
// restoring a spec (also when a foreign deploy resets the update), the netns scripts, options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { delayerFiles, injectScript, netem, NODE_BIN, UNDO_NETNS_SCRIPT, undoNodeScript } from '../../chaos/faults/netem.ts';
import { restoreSpec, setEnv, taskFingerprint } from '../../chaos/faults/spec.ts';
import { killTasks } from '../../chaos/faults/kill-tasks.ts';
import { resolveCommon } from '../../chaos/options.ts';

const spec = (env: string[], force = 0) => ({
  Name: 'api',
  TaskTemplate: { ContainerSpec: { Image: 'img:1', Env: env }, ForceUpdate: force },
  UpdateConfig: { Parallelism: 1 },
});

test('the same spec for undo: env order and ForceUpdate do not count, a changed variable does', () => {
  assert.equal(taskFingerprint(spec(['A=1', 'B=2'], 1)), taskFingerprint(spec(['B=2', 'A=1'], 7)));
  assert.notEqual(taskFingerprint(spec(['A=1'])), taskFingerprint(spec(['A=2'])));
  assert.deepEqual(setEnv(['A=1', 'B=2'], { A: '3', C: '4', B: null }), ['A=3', 'C=4']);
});

/** A service whose updates "roll out" at once; `foreign` makes the next update look replaced by another deploy. */
function fakeSwarm(initial: any, opts: { foreignResetOnce?: boolean } = {}) {
  let current = structuredClone(initial);
  let version = 1;
  let status: any = { State: 'completed', StartedAt: 't0' };
  let foreign = opts.foreignResetOnce ?? false;
  const updates: any[] = [];
  let foreignAfterInspects = -1;
  const svc = {
    inspect: async () => {
      // another `docker stack deploy` lands a moment after our update: it puts the original spec
      // back, writes a new version and resets the status
      if (foreignAfterInspects >= 0 && foreignAfterInspects-- === 0) {
        current = structuredClone(initial);
        status = null;
        version++;
      }
      return { ID: 'S', Version: { Index: version }, Spec: structuredClone(current), UpdateStatus: status };
    },
    update: async (o: any) => {
      assert.equal(o._query.version, version, 'optimistic concurrency: the version read is sent');
      updates.push(o._body);
      version++;
      current = structuredClone(o._body);
      if (foreign) {
        foreign = false;
        status = null; // not started yet
        foreignAfterInspects = 1; // after the version read that follows our update
        return;
      }
      status = { State: 'completed', StartedAt: `t${version}` };
    },
  };
  return { swarm: { getService: () => svc } as never, updates, get: () => current };
}

test('restoreSpec: no-op when the spec is already back, otherwise one update that is waited for', async () => {
  const original = spec(['MODE=good']);
  const same = fakeSwarm(original);
  assert.equal(await restoreSpec(same.swarm, 'api', original, () => undefined, 2000), false);
  assert.equal(same.updates.length, 0);

  const changed = fakeSwarm(spec(['MODE=bad'], 3));
  assert.equal(await restoreSpec(changed.swarm, 'api', original, () => undefined, 2000), true);
  assert.equal(changed.updates.length, 1);
  assert.deepEqual(changed.get().TaskTemplate.ContainerSpec.Env, ['MODE=good']);
  assert.equal(changed.get().TaskTemplate.ForceUpdate, 4, 'tasks are replaced even if only ForceUpdate differed');
});

test('restoreSpec survives a foreign deploy that resets the update status meanwhile', async () => {
  const original = spec(['MODE=good']);
  const s = fakeSwarm(spec(['MODE=bad']), { foreignResetOnce: true });
  // the foreign deploy restored 'MODE=bad' (its own spec); the restore must notice and try again
  assert.equal(await restoreSpec(s.swarm, 'api', original, () => undefined, 5000), true);
  assert.equal(s.updates.length, 2);
  assert.deepEqual(s.get().TaskTemplate.ContainerSpec.Env, ['MODE=good']);
});

test('netem: tc netem where the kernel has it, the NFQUEUE delayer otherwise; undo removes both and stops the delayer', () => {
  const p = netem.schema.parse({ service: 'api', delayMs: 300, jitterMs: 50 });
  const script = injectScript(p, '0123456789abcdef');
  assert.match(script, /tc qdisc replace dev "\$first" root netem delay 300ms 50ms/);
  assert.match(script, /echo mechanism=netem/);
  // fallback: incoming packets to a queue that lets traffic through when nobody serves it
  assert.match(script, /iptables -I INPUT 1 ! -i lo -j NFQUEUE --queue-num \d+ --queue-bypass/);
  assert.match(script, new RegExp(`setsid ${NODE_BIN} --queue \\d+ --delay 300ms --jitter 50ms --loss 0 --max-duration 600s --pidfile /run/gameday-netdelay-0123456789ab.pid`));
  assert.match(script, /echo mechanism=nfqueue-delay/);
  assert.match(UNDO_NETNS_SCRIPT, /tc qdisc del/);
  assert.match(UNDO_NETNS_SCRIPT, /while iptables -D INPUT ! -i lo -j NFQUEUE/);
  assert.match(undoNodeScript('0123456789abcdef'), /kill "\$p"[\s\S]*kill -9[\s\S]*rm -f \/run\/gameday-netdelay-0123456789ab\.pid/);
  assert.equal(delayerFiles('0123456789abcdef').log, '/run/gameday-netdelay-0123456789ab.log');
  assert.equal(netem.schema.safeParse({ service: 'api', delayMs: 0, lossPct: 0 }).success, false);
  assert.equal(netem.schema.safeParse({ service: 'api', delayMs: 100, jitterMs: 200 }).success, false);
  assert.equal(netem.schema.safeParse({ service: 'api', delayMs: 100, maxDurationS: 5 }).success, false);
  assert.match(netem.describe(p), /delay 300ms 50ms .*stops by itself after 600 s/);
});

test('kill-tasks params: count and share are exclusive; the description says what happens', () => {
  assert.equal(killTasks.schema.safeParse({ service: 'a', count: 1, share: 0.5 }).success, false);
  assert.match(killTasks.describe(killTasks.schema.parse({ service: 'a', count: 2, node: 'w1' })), /kill 2 random task\(s\) of a on w1 with SIGKILL/);
});

test('options: flags > environment > defaults, bad values named', () => {
  const saved = { ...process.env };
  try {
    delete process.env.DOCKER_HOST;
    process.env.GAMEDAY_CHAOS_RATE = '20';
    const c = resolveCommon({ rate: '5' });
    assert.equal(c.probeRate, 5, 'flag beats env');
    assert.equal(resolveCommon({}).probeRate, 20, 'env beats default');
    assert.equal(resolveCommon({}).target.local, true);
    assert.equal(resolveCommon({ dockerHost: 'tcp://10.0.0.1:2375' }).target.local, false);
    assert.throws(() => resolveCommon({ rate: 'fast' }), (e: unknown) => e instanceof ConfigError && /--rate: expected a number from 1 to 200, got "fast"/.test((e as Error).message));
    process.env.GAMEDAY_CHAOS_RATE = '0';
    assert.throws(() => resolveCommon({}), /GAMEDAY_CHAOS_RATE: expected a number/);
    delete process.env.GAMEDAY_CHAOS_RATE;
    assert.throws(() => resolveCommon({ dockerHost: '127.0.0.1:2375' }), /--docker-host: expected unix:\/\/\/path.*tcp:\/\/HOST:PORT/);
    assert.throws(() => resolveCommon({ target: 'ftp://x' }), /--target: expected an http\(s\) URL/);
    assert.throws(() => resolveCommon({ maxShare: '1.5' }), /--max-share/);
  } finally {
    process.env = saved;
  }
});
