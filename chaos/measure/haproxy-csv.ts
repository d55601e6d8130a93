// Pure: HAProxy's stats CSV -> per-backend counters, and deltas between two snapshots.
import type { HaproxyCounters } from '../../scripts/lib/run-folder.ts';

export type BackendCounters = HaproxyCounters['backends'][number];

/** Parses `show stat` / `/stats;csv`: header line starts with "# pxname,svname,...". */
export function parseStatsCsv(csv: string): BackendCounters[] {
  const lines = csv.split('\n').map((l) => l.trim()).filter(Boolean);
  const headerLine = lines.find((l) => l.startsWith('#'));
  if (!headerLine) throw new Error('HAProxy stats CSV: no "# pxname,..." header line');
  const header = headerLine.replace(/^#\s*/, '').split(',');
  const col = (name: string) => header.indexOf(name);
  const need = ['pxname', 'svname', 'wretr', 'wredis', 'hrsp_5xx'];
  const missing = need.filter((n) => col(n) < 0);
  if (missing.length) throw new Error(`HAProxy stats CSV: missing columns ${missing.join(', ')}`);
  const n = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : 0);
  const out: BackendCounters[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(',');
    if (f[col('svname')] !== 'BACKEND') continue;
    // req_tot counts HTTP requests (HTTP mode); older/TCP rows only have stot (sessions)
    const req = col('req_tot') >= 0 && f[col('req_tot')] !== '' ? n(f[col('req_tot')]) : n(f[col('stot')]);
    out.push({
      name: f[col('pxname')]!,
      retries: n(f[col('wretr')]),
      redispatches: n(f[col('wredis')]),
      http5xx: n(f[col('hrsp_5xx')]),
      requests: req,
    });
  }
  return out;
}

export interface BackendDelta extends BackendCounters {
  /** a counter went down: HAProxy restarted in between, the delta counts from zero */
  reset: boolean;
}

/** Counters accumulated between two snapshots, per backend present in `to`. */
export function counterDelta(from: HaproxyCounters, to: HaproxyCounters): BackendDelta[] {
  const prev = new Map(from.backends.map((b) => [b.name, b]));
  return to.backends.map((b) => {
    const p = prev.get(b.name) ?? { retries: 0, redispatches: 0, http5xx: 0, requests: 0 };
    const reset = b.retries < p.retries || b.redispatches < p.redispatches || b.http5xx < p.http5xx || b.requests < p.requests;
    const d = (k: 'retries' | 'redispatches' | 'http5xx' | 'requests') => (reset ? b[k] : b[k] - p[k]);
    return { name: b.name, retries: d('retries'), redispatches: d('redispatches'), http5xx: d('http5xx'), requests: d('requests'), reset };
  });
}

/** Deltas per labelled window: "fault-start:X" .. "fault-end:X", and "before" .. "after". */
export function windowDeltas(snapshots: HaproxyCounters[]): { window: string; from: number; to: number; backends: BackendDelta[] }[] {
  const out: { window: string; from: number; to: number; backends: BackendDelta[] }[] = [];
  const open = new Map<string, HaproxyCounters>();
  for (const s of snapshots) {
    if (s.label === 'before') open.set('run', s);
    else if (s.label === 'after' && open.has('run')) {
      const a = open.get('run')!;
      out.push({ window: 'run', from: a.t, to: s.t, backends: counterDelta(a, s) });
    } else if (s.label.startsWith('fault-start:')) open.set(s.label.slice('fault-start:'.length), s);
    else if (s.label.startsWith('fault-end:')) {
      const name = s.label.slice('fault-end:'.length);
      const a = open.get(name);
      if (a) out.push({ window: name, from: a.t, to: s.t, backends: counterDelta(a, s) });
      open.delete(name);
    }
  }
  return out;
}
