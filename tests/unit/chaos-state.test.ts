// issue 14: ledger and lock lived per checkout, so two clones could run chaos on one swarm at once
// and --recover undid swarm A's records on swarm B; a corrupt ledger blocked every later run.
// Now: state per user and per swarm (cluster ID), a lock on the swarm itself (CAS on the manager's
// node version), --recover limited to the connected swarm's records, damaged ledgers salvaged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode, SafetyError } from '../../scripts/lib/errors.ts';
import { Ledger, migrateLegacyLedger, recoverLedger, salvageRecords, type LedgerRecord } from '../../chaos/ledger.ts';
import { ledgerPathFor, stateRoot, swarmStateDir } from '../../chaos/state.ts';
import { acquireSwarmLock, readSwarmLock, SWARM_LOCK_LABEL } from '../../chaos/swarm-lock.ts';
import { otherSwarmsRecords } from '../../chaos/command.ts';
import { dryRunPreflight } from '../../chaos/preflight.ts';
import { resolveCommon } from '../../chaos/options.ts';
import { planExperiment } from '../../chaos/plan.ts';
import { getExperiment } from '../../chaos/experiments/index.ts';
import { faults } from '../../chaos/faults/index.ts';
import { tmpDir } from './chaos-fakes.ts';

const DEAD = 2 ** 22 + 4321;
const rec = (id: string, o: Partial<LedgerRecord> = {}): LedgerRecord => ({
  id, runId: 'r', pid: DEAD, dockerHost: 'tcp://a:2375', swarmId: 'swarmA', status: 'injected', at: '2026-01-01T00:00:00.000Z', entry: { kind: 'break', name: `n${id}`, params: {} }, ...o,
});

test('state lives per user and per swarm: GAMEDAY_STATE_DIR > XDG_STATE_HOME > ~/.local/state; GAMEDAY_LEDGER overrides the file', () => {
  assert.equal(stateRoot({ GAMEDAY_STATE_DIR: '/s' }), '/s');
  assert.equal(stateRoot({ XDG_STATE_HOME: '/x' }), '/x/swarm-gameday');
  assert.equal(stateRoot({}), path.join(os.homedir(), '.local', 'state', 'swarm-gameday'));
  assert.equal(ledgerPathFor('abc123', { XDG_STATE_HOME: '/x' }), '/x/swarm-gameday/abc123/ledger.json');
  assert.equal(ledgerPathFor('abc123', { GAMEDAY_LEDGER: '/t/l.json' }), '/t/l.json');
  assert.throws(() => swarmStateDir('../etc', {}), /swarm cluster id: expected letters and digits/);
});

test('the ledger is JSON with one record per line; records carry the swarm id', () => {
  const l = new Ledger(path.join(tmpDir(), 'ledger.json'));
  l.add('run', 'tcp://a:2375', { kind: 'k', name: 'one', params: {} }, 'swarmA');
  l.add('run', 'tcp://a:2375', { kind: 'k', name: 'two', params: {} }, 'swarmA');
  const text = fs.readFileSync(l.file, 'utf8');
  assert.equal(JSON.parse(text).version, 2);
  assert.equal(text.split('\n').filter((line) => line.startsWith('{"id"')).length, 2);
  assert.deepEqual(l.read().map((r) => r.swarmId), ['swarmA', 'swarmA']);
});

test('a damaged ledger: named, a copy kept aside, the readable records kept, later runs not blocked', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'ledger.json');
  const good = new Ledger(file);
  good.import([rec('1'), rec('2'), rec('3')]);
  const whole = fs.readFileSync(file, 'utf8');
  // cut off in the middle of the third record (as a full disk or an editor would leave it)
  fs.writeFileSync(file, whole.slice(0, whole.lastIndexOf('"entry"')));
  const lines: string[] = [];
  const l = new Ledger(file, { warn: (x) => lines.push(x), now: () => new Date('2026-02-03T04:05:06.789Z') });
  assert.deepEqual(l.read().map((r) => r.id), ['1', '2']);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, new RegExp(`ledger ${file.replace(/[.]/g, '\\.')} was damaged.*2 record\\(s\\) could be read and are kept.*kept as ${file.replace(/[.]/g, '\\.')}\\.corrupt-2026-02-03T04-05-06-789Z.*undo those by hand`));
  assert.ok(fs.existsSync(`${file}.corrupt-2026-02-03T04-05-06-789Z`));
  // the file is whole again: the next read is quiet, and adding works
  assert.deepEqual(new Ledger(file, { warn: (x) => lines.push(x) }).read().map((r) => r.id), ['1', '2']);
  assert.equal(lines.length, 1);
  // an empty file (the "Unexpected end of JSON input" of the issue) is no records, not a crash
  fs.writeFileSync(file, '');
  assert.deepEqual(new Ledger(file, { warn: () => undefined }).read(), []);
  // the pretty-printed files of older versions are salvaged the same way
  const old = JSON.stringify({ version: 1, records: [rec('a'), rec('b')] }, null, 2);
  assert.deepEqual(salvageRecords(old.slice(0, old.length - 40)).map((r) => r.id), ['a']);
});

test('recover undoes only the connected swarm\'s records; another swarm\'s are left and named with their --docker-host', async () => {
  const dir = tmpDir();
  const l = new Ledger(path.join(dir, 'ledger.json'));
  l.import([rec('1'), rec('2', { swarmId: 'swarmB', dockerHost: 'tcp://b:2375' }), rec('3', { swarmId: undefined })]);
  const undone: string[] = [];
  const results = await recoverLedger(l, async (r) => void undone.push(r.id), () => undefined, { swarmId: 'swarmA' });
  assert.deepEqual(undone, ['3', '1'], 'its own and the untagged (migrated) ones, newest first');
  assert.deepEqual(results.map((r) => r.ok), [true, true]);
  assert.deepEqual(l.read().map((r) => r.id), ['2']);
  const lines = otherSwarmsRecords('swarmA', l, path.join(dir, 'no-state'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /1 record\(s\) of swarm swarmB \(break "n2"\): not this swarm, left alone; recover them with: npm run chaos -- --recover --docker-host tcp:\/\/b:2375/);
  // other swarms' folders in the state dir are listed too
  const root = path.join(dir, 'state');
  new Ledger(path.join(root, 'swarmC', 'ledger.json')).import([rec('9', { swarmId: 'swarmC', dockerHost: 'ssh://ops@c' })]);
  assert.match(otherSwarmsRecords('swarmA', new Ledger(path.join(root, 'swarmA', 'ledger.json')), root).join('\n'), /swarm swarmC .*--docker-host ssh:\/\/ops@c/);
});

test('an old per-checkout ledger is migrated: this docker host\'s records move, others stay and are named', () => {
  const dir = tmpDir();
  const legacy = path.join(dir, 'reports', '.ledger', 'ledger.json');
  fs.mkdirSync(path.dirname(legacy), { recursive: true });
  fs.writeFileSync(legacy, JSON.stringify({ version: 1, records: [rec('1', { swarmId: undefined }), rec('2', { swarmId: undefined, dockerHost: 'tcp://b:2375' })] }, null, 2));
  const into = new Ledger(path.join(dir, 'state', 'swarmA', 'ledger.json'));
  const lines: string[] = [];
  const r = migrateLegacyLedger(legacy, into, { swarmId: 'swarmA', dockerHost: 'tcp://a:2375' }, (x) => lines.push(x));
  assert.deepEqual(r.moved.map((x) => x.id), ['1']);
  assert.deepEqual(into.read().map((x) => [x.id, x.swarmId]), [['1', 'swarmA']]);
  assert.deepEqual(new Ledger(legacy).read().map((x) => x.id), ['2']);
  assert.match(lines.join('\n'), /moved 1 record\(s\) of tcp:\/\/a:2375/);
  assert.match(lines.join('\n'), /still holds 1 record\(s\) of other docker hosts: tcp:\/\/b:2375 \(recover with: npm run chaos -- --recover --docker-host tcp:\/\/b:2375\)/);
  // the last host's records move too, and the old file goes
  migrateLegacyLedger(legacy, new Ledger(path.join(dir, 'state', 'swarmB', 'ledger.json')), { swarmId: 'swarmB', dockerHost: 'tcp://b:2375' }, () => undefined);
  assert.equal(fs.existsSync(legacy), false);
});

/** A manager node whose updates are compare-and-swap on the version, like Swarm's. */
function fakeSwarm() {
  const node = { ID: 'n1', Version: { Index: 10 }, Description: { Hostname: 'gameday-manager' }, Spec: { Role: 'manager', Availability: 'active', Labels: { 'gameday.chaos': 'allowed' } as Record<string, string> } };
  const worker = { ID: 'n0', Version: { Index: 3 }, Description: { Hostname: 'w' }, Spec: { Role: 'worker', Labels: {} } };
  let racing: (() => void) | undefined;
  const swarm = {
    node,
    onNextUpdate(fn: () => void) {
      racing = fn;
    },
    listNodes: async () => [structuredClone(worker), structuredClone(node)],
    getNode: (id: string) => ({
      inspect: async () => structuredClone(id === node.ID ? node : worker),
      update: async (o: { _query: { version: number }; _body: any }) => {
        const r = racing;
        racing = undefined;
        r?.();
        if (o._query.version !== node.Version.Index) throw Object.assign(new Error('rpc error: code = Unknown desc = update out of sequence'), { statusCode: 500 });
        node.Spec = o._body;
        node.Version.Index++;
      },
    }),
  };
  return swarm;
}

test('the lock on the swarm: taken with a CAS on the node version, a second run refused naming the holder, released', async () => {
  const swarm = fakeSwarm();
  const lock = await acquireSwarmLock(swarm as never, { command: 'npm run gameday', renew: false });
  assert.equal(lock.node, 'gameday-manager');
  const label = JSON.parse(swarm.node.Spec.Labels[SWARM_LOCK_LABEL]!);
  assert.equal(label.command, 'npm run gameday');
  assert.equal(label.pid, process.pid);
  // another machine (so its pid cannot be checked from here) is refused while the lock lives
  swarm.node.Spec.Labels[SWARM_LOCK_LABEL] = JSON.stringify({ ...label, host: 'other-machine', token: 'theirs' });
  await assert.rejects(acquireSwarmLock(swarm as never, { command: 'npm run chaos', renew: false }), (e: unknown) => {
    assert.ok(e instanceof SafetyError);
    assert.equal(e.exitCode, ExitCode.safety);
    assert.match(e.message, /another chaos run holds the lock on this swarm \(label gameday\.chaos\.lock on node gameday-manager\): pid \d+ on other-machine, "npm run gameday".*docker node update --label-rm gameday\.chaos\.lock gameday-manager/);
    return true;
  });
  // release leaves a lock that is no longer ours alone
  await lock.release();
  assert.equal(JSON.parse(swarm.node.Spec.Labels[SWARM_LOCK_LABEL]!).token, 'theirs');
  // past its expiry it is stale and taken over with a warning; release removes it
  swarm.node.Spec.Labels[SWARM_LOCK_LABEL] = JSON.stringify({ ...label, host: 'other-machine', token: 'theirs', expiresAt: new Date(Date.now() - 1000).toISOString() });
  const lines: string[] = [];
  const again = await acquireSwarmLock(swarm as never, { command: 'npm run chaos', renew: false, log: (l) => lines.push(l) });
  assert.match(lines.join('\n'), /took over a stale lock on the swarm/);
  assert.equal((await readSwarmLock(swarm as never))?.value.token, again.value.token);
  await again.release();
  assert.equal(swarm.node.Spec.Labels[SWARM_LOCK_LABEL], undefined);
  assert.equal(swarm.node.Spec.Labels['gameday.chaos'], 'allowed', 'the other labels stay');
});

test('two runs racing for the swarm lock: the CAS lets exactly one win', async () => {
  const swarm = fakeSwarm();
  // between our read and our write, another machine takes the lock
  swarm.onNextUpdate(() => {
    swarm.node.Spec = { ...swarm.node.Spec, Labels: { ...swarm.node.Spec.Labels, [SWARM_LOCK_LABEL]: JSON.stringify({ host: 'other-machine', pid: 1, command: 'theirs', token: 't2', startedAt: 'x', expiresAt: new Date(Date.now() + 60_000).toISOString() }) } };
    swarm.node.Version.Index++;
  });
  await assert.rejects(acquireSwarmLock(swarm as never, { command: 'ours', renew: false }), /holds the lock on this swarm.*"theirs"/);
  assert.equal(JSON.parse(swarm.node.Spec.Labels[SWARM_LOCK_LABEL]!).token, 't2');
});

test('renewal pushes the expiry forward while the lock is ours', async () => {
  const swarm = fakeSwarm();
  let t = Date.now();
  const lock = await acquireSwarmLock(swarm as never, { command: 'c', ttlMs: 3000, now: () => t });
  const first = JSON.parse(swarm.node.Spec.Labels[SWARM_LOCK_LABEL]!).expiresAt;
  t += 2000;
  await new Promise((r) => setTimeout(r, 1300));
  assert.ok(JSON.parse(swarm.node.Spec.Labels[SWARM_LOCK_LABEL]!).expiresAt > first);
  await lock.release();
});

// issue 14: --dry-run exited 0 when the swarm did not answer, where a real run is refused
test('--dry-run against a swarm that does not answer exits 3, as a real run would be refused', async () => {
  const common = resolveCommon({ dockerHost: 'tcp://127.0.0.1:1', target: 'http://127.0.0.1:1' }, { env: {}, file: { values: {}, label: 'gameday.config.json' } });
  const exp = getExperiment('api-scale');
  assert.equal(await dryRunPreflight([exp], [planExperiment(exp, faults)], common), ExitCode.unreachable);
});
