import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lagStats, percentile } from '../../chaos/measure/lag-stats.ts';
import { parseLagLine } from '../../chaos/measure/lag-parse.ts';
import { LagStreamParser, lagClientScript } from '../../chaos/measure/lag-stream-parse.ts';
import type { LagSample } from '../../scripts/lib/run-folder.ts';

function sample(t: number, replica: string, lag: number | null, running = true): LagSample {
  return { t, replica, heartbeatLagMs: lag, secondsBehindMaster: running ? Math.floor((lag ?? 0) / 1000) : null, ioRunning: running, sqlRunning: running };
}

test('percentile: nearest rank', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 0.95), 95);
  assert.equal(percentile([7], 0.95), 7);
  assert.equal(percentile([3, 1, 2], 0.5), 2);
});

test('lag stats: per replica max and p95, stopped when a thread is not running', () => {
  const samples: LagSample[] = [];
  for (let i = 0; i < 20; i++) samples.push(sample(i * 100, 'todo_mysql_slave.1', 5 + (i % 3)));
  // replica 2 stops replicating at t=1000: its heartbeat lag grows with time
  for (let i = 0; i < 20; i++) samples.push(sample(i * 100, 'todo_mysql_slave.2', i < 10 ? 6 : (i - 9) * 100, i < 10));
  const phases = [
    { name: 'before', start: 0, end: 1000 },
    { name: 'fault:stop-replication', start: 1000, end: 2000 },
  ];
  const stats = lagStats(samples, phases);
  const get = (phase: string, replica: string) => stats.find((s) => s.phase === phase && s.replica === replica)!;
  assert.equal(get('before', 'todo_mysql_slave.1').maxLagMs, 7);
  assert.equal(get('before', 'todo_mysql_slave.2').stopped, false);
  const stopped = get('fault:stop-replication', 'todo_mysql_slave.2');
  assert.equal(stopped.stopped, true);
  assert.equal(stopped.stoppedSamples, 10);
  assert.equal(stopped.maxLagMs, 1000);
  assert.equal(stopped.p95LagMs, 1000);
  assert.equal(stopped.lastLagMs, 1000);
  assert.equal(stopped.maxSecondsBehindMaster, null, 'Seconds_Behind_Master is NULL while stopped');
  assert.equal(get('fault:stop-replication', 'todo_mysql_slave.1').stopped, false);
});

test('lag stats: unreadable samples count as errors, not as stopped replication', () => {
  const s: LagSample = { ...sample(0, 'r', null, false), error: 'tododb-lag exit 1' };
  const [st] = lagStats([s, sample(100, 'r', 4)], [{ name: 'all', start: 0, end: 200 }]);
  assert.equal(st!.errors, 1);
  assert.equal(st!.stopped, false);
  assert.equal(st!.measured, 1);
});

test('parseLagLine: the tododb-lag line (snake_case, "Yes"/"No"), its error line, other names, garbage', () => {
  const line =
    '{"role":"replica","at":"2024-01-01T00:00:00.000000Z","ok":true,"server_id":12,"read_only":true,"lag_ms":87.4310,' +
    '"heartbeat_age_ms":null,"heartbeat_ts":"2024-01-01T00:00:00.000000Z","seconds_behind_master":0,"slave_io_running":"Yes",' +
    '"slave_sql_running":"Yes","slave_io_state":"Waiting","last_io_errno":0,"last_io_error":"","last_sql_errno":0,"last_sql_error":""}';
  assert.deepEqual(parseLagLine(line, 5, 'r1', 'w1'), { t: 5, replica: 'r1', node: 'w1', heartbeatLagMs: 87.431, secondsBehindMaster: 0, ioRunning: true, sqlRunning: true });
  const stopped = parseLagLine('{"ok":true,"lag_ms":5300.1,"seconds_behind_master":null,"slave_io_running":"No","slave_sql_running":"No"}', 5, 'r1');
  assert.deepEqual([stopped.heartbeatLagMs, stopped.secondsBehindMaster, stopped.ioRunning, stopped.sqlRunning, stopped.error], [5300.1, null, false, false, undefined]);
  const down = parseLagLine('{"role":"replica","at":"x","ok":false,"error":"ERROR 2002 (HY000): Can\'t connect"}', 5, 'r1');
  assert.match(down.error!, /ERROR 2002/);
  const a = parseLagLine('{"heartbeatLagMs":12.3456,"secondsBehindMaster":0,"ioRunning":true,"sqlRunning":true}', 5, 'r1', 'w1');
  assert.deepEqual(a, { t: 5, replica: 'r1', node: 'w1', heartbeatLagMs: 12.346, secondsBehindMaster: 0, ioRunning: true, sqlRunning: true });
  const b = parseLagLine('{"heartbeat_lag_ms":"900","Seconds_Behind_Master":null,"Slave_IO_Running":"Yes","Slave_SQL_Running":"No"}', 5, 'r1');
  assert.equal(b.heartbeatLagMs, 900);
  assert.equal(b.secondsBehindMaster, null);
  assert.equal(b.ioRunning, true);
  assert.equal(b.sqlRunning, false);
  const c = parseLagLine('ERROR 2002 (HY000): Can\'t connect', 5, 'r1');
  assert.match(c.error!, /not JSON/);
  assert.equal(c.heartbeatLagMs, null);
});

// captured from `mariadb --batch` on a todo_mysql_slave replica (SHOW SLAVE STATUS shortened)
const SLAVE_HEADER = 'Slave_IO_State\tMaster_Host\tSlave_IO_Running\tSlave_SQL_Running\tLast_Error\tSeconds_Behind_Master\tMaster_SSL_Verify_Server_Cert';
const tick = (lag: string, io: string, sql: string, sbm: string) => [
  'k\tnow_s\tlag_ms',
  `hb\t1795318702.057806\t${lag}`,
  SLAVE_HEADER,
  `Waiting for master to send event\ttodo_mysql_master\t${io}\t${sql}\t\t${sbm}\tNo`,
  'k',
  'end',
];

test('lag stream parser: one sample per tick from the batch output of one client, stamped on the runner clock', () => {
  const p = new LagStreamParser('todo_mysql_slave.2', 'gameday-worker02', () => 42);
  const out = [...tick('54.1440', 'Yes', 'Yes', '0'), ...tick('5321.0071', 'No', 'No', 'NULL')].map((l) => p.push(l)).filter(Boolean);
  // t is the runner's clock (42), not the replica's NOW(6) (1795318702.057806), which may be skewed
  assert.deepEqual(out, [
    { t: 42, replica: 'todo_mysql_slave.2', node: 'gameday-worker02', heartbeatLagMs: 54.144, secondsBehindMaster: 0, ioRunning: true, sqlRunning: true },
    { t: 42, replica: 'todo_mysql_slave.2', node: 'gameday-worker02', heartbeatLagMs: 5321.007, secondsBehindMaster: null, ioRunning: false, sqlRunning: false },
  ]);
});

test('lag stream parser: a tick without heartbeat or slave status is a sample with an error', () => {
  const p = new LagStreamParser('r', undefined, () => 42);
  // heartbeat query failed (error went to stderr), SHOW SLAVE STATUS empty: only the end marker
  const s = ['k', 'end'].map((l) => p.push(l)).find(Boolean)!;
  assert.equal(s.t, 42);
  assert.equal(s.heartbeatLagMs, null);
  assert.equal(s.error, 'no heartbeat reading');
  const noSlave = ['k\tnow_s\tlag_ms', 'hb\t1.5\t3.0', 'k', 'end'].map((l) => p.push(l)).find(Boolean)!;
  assert.match(noSlave.error!, /no replication configured/);
  assert.equal(noSlave.t, 42);
});

test('lag client script: one client fed by a bounded shell loop that stops on a closed pipe', () => {
  const script = lagClientScript(100);
  assert.match(script, /^while :; do echo '.*' \|\| exit 0; sleep 0\.100; done \| mariadb .*--batch --unbuffered --force tododb$/);
  assert.ok(script.includes(`SELECT '"'"'hb'"'"' AS k`), 'single quotes of the SQL are escaped for the shell');
});
