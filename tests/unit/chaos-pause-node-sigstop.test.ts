// pause-node through the agent freezes task processes with SIGSTOP and thaws them with SIGCONT
// together with the engine (chaos/faults/pause-node.ts). The shell pieces run for real here, in sh,
// on a real process tree of this machine (no engine needed: docker is a fake on PATH).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ENGINE_CONT } from '../../chaos/faults/node-guard.ts';
import { STOPPED_PIDS, agentFreezeScript, agentThawCheckScript, agentThawScript, contFileScript, processTreeScript, stopTreesScript } from '../../chaos/faults/pause-node.ts';

const stateOf = (pid: number) => /^State:\s*(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
const sh = (script: string, env: NodeJS.ProcessEnv = process.env) => execFileSync('sh', ['-c', script], { env, timeout: 20_000 }).toString();

/** a root with two children (the shape of a task: an init and its workers); killed by the caller */
async function tree(): Promise<{ root: ChildProcess; pids: number[] }> {
  const root = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const kids = sh(`cat /proc/[0-9]*/stat 2>/dev/null | awk '$4 == ${root.pid} { print $1 }'`).split(/\s+/).filter(Boolean).map(Number);
    if (kids.length === 2) return { root, pids: [root.pid!, ...kids].sort((a, b) => a - b) };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the test tree did not start');
}

const kill = (t: { root: ChildProcess; pids: number[] }) => {
  for (const p of t.pids) {
    try {
      process.kill(p, 'SIGCONT');
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
};

test('processTreeScript lists a root and its descendants, nothing else', async () => {
  const t = await tree();
  try {
    const listed = sh(`roots=${t.root.pid}\n${processTreeScript('$roots')}`).split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);
    assert.deepEqual(listed, t.pids);
    assert.ok(!listed.includes(process.pid));
  } finally {
    kill(t);
  }
});

test('stopTreesScript SIGSTOPs the whole tree and records it; contFileScript SIGCONTs exactly those', async () => {
  const t = await tree();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pause-sigstop-'));
  const file = path.join(dir, 'pids');
  try {
    assert.match(sh(`roots=${t.root.pid}\n${stopTreesScript('$roots', file)}`), /stopped 3 task process\(es\)/);
    assert.deepEqual(fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b), t.pids);
    for (const p of t.pids) assert.equal(stateOf(p), 'T', `pid ${p} stopped`);
    assert.match(sh(contFileScript(file)), /continued 3 task process\(es\)/);
    for (const p of t.pids) assert.notEqual(stateOf(p), 'T', `pid ${p} running again`);
    // idempotent: nothing left to continue, and no file at all is not an error
    assert.match(sh(contFileScript(file)), /continued 0 task process\(es\)/);
    assert.match(sh(contFileScript(path.join(dir, 'none'))), /continued 0 task process\(es\)/);
  } finally {
    kill(t);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the agent undo continues the task processes before the engine, and once the engine answers any it finds still stopped', async () => {
  const script = agentThawScript(['a'.repeat(64)]);
  assert.ok(script.indexOf(contFileScript(STOPPED_PIDS)) === 0, 'tasks first');
  assert.ok(script.indexOf(ENGINE_CONT) > 0, 'then the engine');
  assert.ok(script.endsWith(agentThawCheckScript(['a'.repeat(64)])), 'then the check');
  assert.match(agentFreezeScript(['a'.repeat(64)]), /kill -STOP \$t[\s\S]*kill -STOP \$pids/, 'act: tasks, then the engine');

  // the check (the controller's, with no guard file): a fake engine names the tree's root as the
  // container's init; the stopped tree is continued and reported. Not the whole undo: its engine
  // part would act on this machine's real dockerd.
  const t = await tree();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pause-thaw-'));
  fs.writeFileSync(
    path.join(dir, 'docker'),
    `#!/bin/sh\ncase "$*" in\n  *State.Pid*) echo ${t.root.pid};;\n  *State.Paused*) echo false;;\nesac\nexit 0\n`,
    { mode: 0o755 },
  );
  try {
    for (const p of t.pids) process.kill(p, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 100));
    const out = sh(agentThawCheckScript(['a'.repeat(64)]), { ...process.env, PATH: `${dir}:${process.env.PATH}` });
    assert.match(out, /continued task process\(es\) still stopped:/);
    for (const p of t.pids) assert.notEqual(stateOf(p), 'T', `pid ${p} running again`);
  } finally {
    kill(t);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
