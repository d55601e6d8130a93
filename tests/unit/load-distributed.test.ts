// Distributed load (issue 13), the pure parts: segment per task slot, the service spec, log
// framing/decoding (Docker's multiplexed stream, per-task details, the engine's @gd frames), and
// the --distributed field (flag, env, file key; errors name the source).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeReplica,
  demuxLogs,
  LogLines,
  loadServiceSpec,
  segmentForSlot,
  segmentsFor,
  splitByTask,
} from '../../load/run/distributed-spec.ts';
import { readEnv, resolveConfig } from '../../load/run/config.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';

test('segments: slot k of N takes (k-1)/N:k/N of the sequence 0,1/N,...,1', () => {
  assert.deepEqual(segmentsFor(1), { sequence: '0,1', segments: ['0:1'] });
  assert.deepEqual(segmentsFor(3), { sequence: '0,1/3,2/3,1', segments: ['0:1/3', '1/3:2/3', '2/3:1'] });
  assert.equal(segmentForSlot(1, 4), '0:1/4');
  assert.equal(segmentForSlot(4, 4), '3/4:1');
  assert.equal(segmentsFor(32).segments.length, 32);
  assert.throws(() => segmentsFor(0), RangeError);
  assert.throws(() => segmentsFor(33), RangeError);
  assert.throws(() => segmentForSlot(4, 3), RangeError);
});

test('service spec: N replicas, restart none, dnsrr, no published port, the app network, labels, slot template, script as a config', () => {
  const s = loadServiceSpec({
    id: 'ab12', image: 'registry:5000/swarm-gameday/gameday-engine:1', replicas: 3, network: 'todoapp',
    configId: 'cfg1', configName: 'gameday-load-ab12-script', startAt: '2026-12-02T15:00:00.000Z', engineArgs: ['--tag', 'a=b'], env: { GAMEDAY_PLAN: '{}', NOPE: undefined },
  }) as any;
  assert.equal(s.Name, 'gameday-load-ab12');
  assert.deepEqual(s.Labels, { 'gameday.load': 'ab12' });
  assert.deepEqual(s.Mode, { Replicated: { Replicas: 3 } });
  assert.deepEqual(s.EndpointSpec, { Mode: 'dnsrr' });
  assert.equal(s.EndpointSpec.Ports, undefined);
  assert.equal(s.TaskTemplate.RestartPolicy.Condition, 'none');
  assert.deepEqual(s.TaskTemplate.Networks, [{ Target: 'todoapp' }]);
  const env: string[] = s.TaskTemplate.ContainerSpec.Env;
  assert.ok(env.includes('GAMEDAY_SLOT={{.Task.Slot}}'));
  assert.ok(env.includes('GAMEDAY_SEGMENTS=0:1/3 1/3:2/3 2/3:1'));
  assert.ok(env.includes('GAMEDAY_SEQUENCE=0,1/3,2/3,1'));
  assert.ok(env.includes('GAMEDAY_START_AT=2026-12-02T15:00:00.000Z'));
  assert.ok(!env.some((e) => e.startsWith('NOPE=')));
  assert.deepEqual(s.TaskTemplate.ContainerSpec.Args, ['--tag', 'a=b', '/gameday/script.js']);
  assert.equal(s.TaskTemplate.ContainerSpec.Configs[0].File.Name, '/gameday/script.js');
});

function frame(kind: number, text: string): Buffer {
  const body = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = kind;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

test('log decoding: multiplexed stream, lines per task, frames and end marker', () => {
  const d = 'com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=';
  const buf = Buffer.concat([
    frame(1, `${d}t1 @gd {"type":"Metric","data":{"name":"x"}}\n`),
    frame(2, `${d}t2 level=warning msg="late"\n`),
    frame(1, `${d}t1 @gd {"metric":"x","type":"Point"}\n`),
    frame(1, `${d}t1 @gdend lines=2 durationMs=20012.5\n`),
    frame(1, `${d}t2 @gd {"metric":"x","type":"Point"}\n`),
  ]);
  const text = demuxLogs(buf);
  assert.equal(demuxLogs(Buffer.from('plain\n')), 'plain\n');
  const by = splitByTask(text);
  assert.deepEqual([...by.keys()].sort(), ['t1', 't2']);
  const t1 = decodeReplica(by.get('t1')!);
  assert.equal(t1.lines, 2);
  assert.equal(t1.expected, 2);
  assert.equal(t1.durationMs, 20012.5);
  assert.equal(t1.jsonl, '{"type":"Metric","data":{"name":"x"}}\n{"metric":"x","type":"Point"}\n');
  assert.deepEqual(t1.other, []);
  const t2 = decodeReplica(by.get('t2')!);
  assert.equal(t2.expected, undefined, 'a cut stream has no end marker');
  assert.equal(t2.lines, 1);
  assert.deepEqual(t2.other, ['level=warning msg="late"']);
  assert.equal(decodeReplica([]).jsonl, '');
});

test('--distributed: 1..32 whole replicas from flag, GAMEDAY_DISTRIBUTED or load.distributed; errors name the source', () => {
  const none = { flags: {}, env: {}, file: {} };
  assert.equal(resolveConfig(none).distributed, undefined);
  assert.equal(resolveConfig({ ...none, flags: { distributed: '3' } }).distributed, 3);
  assert.equal(resolveConfig({ ...none, env: readEnv({ GAMEDAY_DISTRIBUTED: '32' }) }).distributed, 32);
  assert.equal(resolveConfig({ ...none, file: { distributed: 2 } }).distributed, 2);
  assert.throws(() => resolveConfig({ ...none, flags: { distributed: '0' } }), (e: unknown) => e instanceof ConfigError && /^--distributed: expected a whole number of engine replicas from 1 to 32, got "0"/.test(e.message));
  assert.throws(() => resolveConfig({ ...none, env: readEnv({ GAMEDAY_DISTRIBUTED: '1.5' }) }), /GAMEDAY_DISTRIBUTED: expected .*got "1.5"/);
  assert.throws(() => resolveConfig({ ...none, file: { distributed: 33 } }), /gameday.config.json: load.distributed: expected .*got 33/);
  assert.throws(() => resolveConfig({ ...none, flags: { distributed: '1e1' } }), /--distributed/);
});

test('followed logs: frames and lines split across chunks come out whole', () => {
  const whole = Buffer.concat([frame(1, 'a 1\nb '), frame(2, '2\n'), frame(1, 'c 3\n')]);
  const ll = new LogLines();
  const out: string[] = [];
  for (let i = 0; i < whole.length; i += 5) out.push(...ll.push(whole.subarray(i, i + 5)));
  assert.deepEqual(out, ['a 1', 'b 2', 'c 3']);
});
