// The on-node guard of node faults through the agent (chaos/faults/node-guard.ts): the script that
// starts it, and its body run for real in sh with a fake docker CLI: it waits for the exec's run to
// be gone, acts, holds, undoes (retrying), in that order.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BOUND_MARGIN_MS } from '../../chaos/agent/deadman.ts';
import { ENGINE_CONT, ENGINE_STOP, SWARM_SESSION_RESET, guardHoldS, guardName, guardStartScript } from '../../chaos/faults/node-guard.ts';
import { ifaceOf, nodeHealVerifyScript, partition } from '../../chaos/faults/partition.ts';
import { pauseNode } from '../../chaos/faults/pause-node.ts';

const entry = (boundMs?: number) => ({ kind: 'pause-node', name: 'freeze it', params: {}, node: 'w1', ...(boundMs ? { agent: { services: ['s'], boundMs, deadline: '' } } : {}) });

test('guard hold: the bound less the margin (at least 5 s); name is a valid container name', () => {
  assert.equal(guardHoldS(entry(BOUND_MARGIN_MS + 10_000)), 10);
  assert.equal(guardHoldS(entry(BOUND_MARGIN_MS + 1_000)), 5);
  assert.equal(guardHoldS(entry()), 20);
  assert.equal(guardName(entry(), 'gameday-worker01'), 'gameday-guard-pause-node-freeze-it-gameday-worker01');
});

test('the guard start script: detached, host pid and net, labelled, waits for this exec run', () => {
  const s = guardStartScript({ name: 'gameday-guard-x', image: 'reg/img@sha256:1', act: 'echo a', undo: 'echo u', holdS: 7 });
  assert.match(s, /docker run -d --rm --name gameday-guard-x --label gameday\.agent=1 --label gameday\.agent\.role=guard --pid host --net host/);
  assert.match(s, /-e "GUARD_AFTER=\$\{GAMEDAY_AGENT_ID:-\}"/);
  assert.match(s, /GUARD_HOLD_S=7 --entrypoint sh reg\/img@sha256:1 -c /);
  assert.match(s, new RegExp(`GUARD_ACT=${Buffer.from('echo a').toString('base64')}`));
});

test('the guard body, run in sh with a fake docker: wait, act, hold, undo with retries', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
  const log = path.join(dir, 'log');
  // fake docker: `docker ps` lists the exec's container for the first 2 calls, then nothing;
  // `docker run` runs the body (the arg after -c) in the foreground with the -e variables
  fs.writeFileSync(
    path.join(dir, 'docker'),
    `#!/bin/sh
if [ "$1" = ps ]; then n=$(cat ${dir}/ps 2>/dev/null || echo 0); echo $((n+1)) > ${dir}/ps; echo "ps" >> ${log}; [ $n -lt 2 ] && echo abc; exit 0; fi
if [ "$1" = inspect ]; then echo true; exit 0; fi
if [ "$1" = run ]; then [ -f ${dir}/fail-run ] && { echo "unable to apply caps" >&2; exit 125; }; shift; while [ $# -gt 0 ]; do case "$1" in -e) export "$2"; shift 2;; -c) body="$2"; shift 2;; *) shift;; esac; done; sh -c "$body"; exit $?; fi
exit 0
`,
    { mode: 0o755 },
  );
  const undo = `c=$(cat ${dir}/u 2>/dev/null || echo 0); echo $((c+1)) > ${dir}/u; echo "undo $c" >> ${log}; [ $c -ge 1 ]`;
  const s = guardStartScript({ name: 'g', image: 'img', act: `echo act >> ${log}`, undo, holdS: 1 });
  const t0 = Date.now();
  execFileSync('sh', ['-c', s], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, GAMEDAY_AGENT_ID: 'run1' }, timeout: 20_000 });
  const ms = Date.now() - t0;
  assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['ps', 'ps', 'ps', 'act', 'undo 0', 'undo 1']);
  // 2 waits of 0.5 s, the 1 s hold, one retry pause of 2 s
  assert.ok(ms >= 3400 && ms < 10_000, `took ${ms} ms`);
  // a guard that cannot start is an error, not a fault silently never applied
  fs.writeFileSync(path.join(dir, 'fail-run'), '');
  assert.throws(() => execFileSync('sh', ['-c', s], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, stdio: 'pipe', timeout: 20_000 }));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('engine freeze and thaw scripts: by process name in the host pid namespace, thaw verified', () => {
  assert.match(ENGINE_STOP, /dockerd\|containerd\|containerd-shim\*/);
  assert.match(ENGINE_STOP, /kill -STOP \$pids/);
  assert.match(ENGINE_CONT, /kill -CONT/);
  assert.match(ENGINE_CONT, /until docker info/);
  assert.match(ENGINE_CONT, /still stopped/);
  // the shell is valid
  for (const s of [ENGINE_STOP, ENGINE_CONT, nodeHealVerifyScript('eth0')]) execFileSync('sh', ['-n', '-c', s]);
});

test('after a node was cut off or frozen, its connections to each manager are reset (moby#35011), best effort', () => {
  assert.ok(ENGINE_CONT.endsWith(SWARM_SESSION_RESET), 'the thaw of pause-node and hang-engine resets the session');
  assert.ok(nodeHealVerifyScript('eth0').endsWith(SWARM_SESSION_RESET), 'the heal of node-partition resets the session');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-reset-'));
  try {
    // a fake docker answering two managers, a fake ss that logs its arguments and fails for the second
    fs.writeFileSync(path.join(dir, 'docker'), '#!/bin/sh\necho "10.0.0.1:2377 10.0.0.2:4567 "\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'ss'), `#!/bin/sh\necho "$*" >> ${dir}/ss.log\ncase "$*" in *10.0.0.2*) exit 1;; esac\n`, { mode: 0o755 });
    const r = spawnSync('sh', ['-c', SWARM_SESSION_RESET], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'ss.log'), 'utf8').trim().split('\n'), ['-K dst 10.0.0.1 dport = :2377', '-K dst 10.0.0.2 dport = :4567']);
    assert.match(r.stdout, /swarm session reset: 10\.0\.0\.1:2377/);
    assert.match(r.stderr, /swarm session not reset \(10\.0\.0\.2:4567\): ss -K failed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('node faults through the agent: the supervisor removes the guard and runs the verified undo', () => {
  const e = { kind: 'pause-node', name: 'p', params: {}, node: 'w1', containers: ['a'.repeat(64)] };
  const [u] = pauseNode.nodeUndo!(e as any, 'img');
  assert.equal(u!.node, 'w1');
  assert.match(u!.script, /^docker rm -f gameday-guard-pause-node-p-w1/);
  assert.match(u!.script, /kill -CONT[\s\S]*docker unpause/);
  const pe = { kind: 'partition', name: 'n', params: { mode: 'node' }, node: 'w2', iface: 'eth0' };
  assert.match(partition.nodeUndo!(pe as any, 'img')[0]!.script, /iptables -D INPUT -i eth0 -j GAMEDAY_CHAOS_NODE[\s\S]*still in place/);
  assert.equal(ifaceOf('17: eth0@if18    inet 10.0.9.2/24 brd 10.0.9.255 scope global eth0'), 'eth0');
});
