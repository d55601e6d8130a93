// Parses one line of `tododb-lag` (JSON: lag_ms, seconds_behind_master, slave_io_running,
// slave_sql_running as "Yes"/"No", ok/error) into a LagSample. Tolerates camelCase and MariaDB's
// own names too, and turns anything else into a sample with an error, so a broken reading is
// visible rather than dropped.
import type { LagSample } from '../../scripts/lib/run-folder.ts';

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function running(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.toLowerCase() === 'yes' || v.toLowerCase() === 'true';
  return v === 1;
}

function pick(o: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (k in o) return o[k];
  return undefined;
}

export function parseLagLine(line: string, t: number, replica: string, node?: string): LagSample {
  const base: LagSample = { t, replica, heartbeatLagMs: null, secondsBehindMaster: null, ioRunning: false, sqlRunning: false };
  if (node) base.node = node;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return { ...base, error: `not JSON: ${line.slice(0, 200)}` };
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { ...base, error: `not a JSON object: ${line.slice(0, 200)}` };
  const r = o as Record<string, unknown>;
  const lag = num(pick(r, 'lag_ms', 'heartbeatLagMs', 'heartbeat_lag_ms', 'lagMs'));
  const sample: LagSample = {
    ...base,
    heartbeatLagMs: lag === null ? null : Math.round(lag * 1000) / 1000,
    secondsBehindMaster: num(pick(r, 'seconds_behind_master', 'secondsBehindMaster', 'Seconds_Behind_Master')),
    ioRunning: running(pick(r, 'slave_io_running', 'ioRunning', 'Slave_IO_Running')),
    sqlRunning: running(pick(r, 'slave_sql_running', 'sqlRunning', 'Slave_SQL_Running')),
  };
  const err = pick(r, 'error');
  if (typeof err === 'string' && err) sample.error = err;
  else if (r.ok === false) sample.error = 'tododb-lag: not ok';
  return sample;
}
