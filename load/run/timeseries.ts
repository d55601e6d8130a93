// Post-processing of k6's time series (k6-timeseries.json.gz, NDJSON of Metric/Point lines).
// k6 cannot change tags from outside while running, so chaos attributes samples to faults here:
// every http_req_duration / http_req_failed point is joined by timestamp with the fault windows
// (FaultWindow in scripts/lib/run-folder.ts). A sample's time is when k6 recorded it (response end).
import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { quantile } from 'simple-statistics';

export interface Point {
  metric: string;
  t: number; // epoch ms
  value: number;
  tags: Record<string, string>;
}

/** Streams the Point lines of a (gzipped or plain) k6 JSON output file. */
export async function forEachPoint(file: string, fn: (p: Point) => void, metrics?: Set<string>): Promise<number> {
  const raw = fs.createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    if (!line.startsWith('{"metric"') && !line.includes('"type":"Point"')) continue;
    if (metrics && !metrics.has(/"metric":"([^"]+)"/.exec(line)?.[1] ?? '')) continue;
    let o: { type?: string; metric?: string; data?: { time?: string; value?: number; tags?: Record<string, string> } };
    try {
      o = JSON.parse(line);
    } catch {
      continue; // a run killed mid-write leaves a torn last line
    }
    if (o.type !== 'Point' || !o.metric || !o.data?.time) continue;
    fn({ metric: o.metric, t: Date.parse(o.data.time), value: o.data.value ?? 0, tags: o.data.tags ?? {} });
    n++;
  }
  return n;
}

export interface TimeWindow {
  name: string;
  start: number;
  end?: number;
}

export interface WindowEndpointStats {
  window: string;
  endpoint: string;
  requests: number;
  failed: number;
  errorRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Label of a timestamp: the last-started window containing it, else `outside`. */
export function windowOf(t: number, windows: TimeWindow[], outside = 'baseline'): string {
  let best: TimeWindow | undefined;
  for (const w of windows) if (t >= w.start && t <= (w.end ?? Infinity) && (!best || w.start >= best.start)) best = w;
  return best?.name ?? outside;
}

function stats(window: string, endpoint: string, durations: number[], failed: number, total: number): WindowEndpointStats {
  const sorted = durations.slice().sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? quantile(sorted, p) : null);
  return { window, endpoint, requests: total, failed, errorRate: total ? failed / total : 0, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

/** Per (window, endpoint): requests, failures, latency percentiles. */
export async function aggregateByWindow(file: string, windows: TimeWindow[], outside = 'baseline'): Promise<WindowEndpointStats[]> {
  const groups = new Map<string, { d: number[]; failed: number; total: number }>();
  const g = (k: string) => groups.get(k) ?? (groups.set(k, { d: [], failed: 0, total: 0 }).get(k) as { d: number[]; failed: number; total: number });
  await forEachPoint(
    file,
    (p) => {
      const key = `${windowOf(p.t, windows, outside)}\u0000${p.tags.endpoint ?? '(untagged)'}`;
      if (p.metric === 'http_req_duration') g(key).d.push(p.value);
      else {
        const x = g(key);
        x.total++;
        if (p.value) x.failed++;
      }
    },
    new Set(['http_req_duration', 'http_req_failed']),
  );
  return [...groups.entries()]
    .map(([k, v]) => {
      const [w, ep] = k.split('\u0000');
      return stats(w, ep, v.d, v.failed, v.total);
    })
    .sort((a, b) => a.window.localeCompare(b.window) || a.endpoint.localeCompare(b.endpoint));
}

export interface SecondBucket {
  t: number; // epoch ms at the start of the second
  endpoint: string;
  requests: number;
  failed: number;
}

/** Requests and failures per second and endpoint (for availability timelines next to faults). */
export async function perSecond(file: string): Promise<SecondBucket[]> {
  const m = new Map<string, SecondBucket>();
  await forEachPoint(
    file,
    (p) => {
      const t = Math.floor(p.t / 1000) * 1000;
      const endpoint = p.tags.endpoint ?? '(untagged)';
      const k = `${t}\u0000${endpoint}`;
      const b = m.get(k) ?? { t, endpoint, requests: 0, failed: 0 };
      b.requests++;
      if (p.value) b.failed++;
      m.set(k, b);
    },
    new Set(['http_req_failed']),
  );
  return [...m.values()].sort((a, b) => a.t - b.t || a.endpoint.localeCompare(b.endpoint));
}

/**
 * Rewrites a k6 time-series file with a `fault` tag on every point inside a fault window (the
 * window's name; points outside get none). This is how chaos attributes k6 samples to faults after
 * the run, since k6 cannot take tag changes from outside while it runs. Writes to `out` (default:
 * in place, via a temp file and rename). Returns how many points were tagged.
 */
export async function tagTimeseriesWithFaults(file: string, windows: TimeWindow[], out = file, tag = 'fault'): Promise<number> {
  const tmp = `${out}.tmp-${process.pid}`;
  const raw = fs.createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  const gz = out.endsWith('.gz') ? zlib.createGzip() : undefined;
  const sink = fs.createWriteStream(tmp);
  if (gz) gz.pipe(sink);
  const target = gz ?? sink;
  const write = (s: string) => (target.write(s) ? Promise.resolve() : new Promise<void>((r) => target.once('drain', () => r())));
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let tagged = 0;
  for await (const line of rl) {
    if (!line) continue;
    let text = line;
    if (line.includes('"type":"Point"')) {
      try {
        const o = JSON.parse(line) as { data?: { time?: string; tags?: Record<string, string> } };
        const t = o.data?.time ? Date.parse(o.data.time) : NaN;
        const w = Number.isFinite(t) ? windowOf(t, windows, '') : '';
        if (w && o.data) {
          o.data.tags = { ...(o.data.tags ?? {}), [tag]: w };
          text = JSON.stringify(o);
          tagged++;
        }
      } catch {
        continue; // torn line of a killed run
      }
    }
    await write(`${text}\n`);
  }
  await new Promise<void>((resolve, reject) => {
    sink.once('finish', () => resolve());
    sink.once('error', reject);
    target.end();
  });
  fs.renameSync(tmp, out);
  return tagged;
}
