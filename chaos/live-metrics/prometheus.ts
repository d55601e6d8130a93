// Live metrics of a game day (issue 13): Debian's Prometheus, run on this machine for the length of
// the session, scrapes the background load engine (`run --metrics-addr`) and HAProxy's Prometheus
// endpoint every second. When the session ends, the charted queries are read back over its window
// into prometheus.json (the report draws them under the fault bands), and the TSDB stays in the
// run folder for ad-hoc PromQL. Prometheus listens on loopback only and runs under `timeout`, so
// even a controller killed with SIGKILL leaves no scraper behind for longer than the bound.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError } from '../../scripts/lib/errors.ts';
import { writeJson } from '../../scripts/lib/run-folder.ts';
import { writePrivateFile } from '../../scripts/lib/state-dir.ts';
import { ensurePrometheus } from '../../scripts/lib/tools.ts';
import { LIVE_QUERIES, chartFromMatrix, queryStepS, type LiveChart, type LiveMetricsFile, type PromMatrix } from './queries.ts';
import { JOBS, SCRAPE_INTERVAL_S, scrapeConfig, type ScrapeTargets } from './scrape-config.ts';

export const LIVE_METRICS_FILE = 'prometheus.json';
/** the TSDB, inside the run folder */
export const LIVE_METRICS_DATA = 'prometheus';
/** below this share of good scrapes a target's charts have gaps worth a warning (the engine starts
 *  a second or two after Prometheus and stops before it) */
export const MIN_UP_SHARE = 0.9;

export interface LiveMetricsOptions {
  runDir: string;
  engine?: string;
  haproxy?: { statsUrl: string; user: string; password: string };
  /** the longest the session may take: Prometheus is killed after it (plus a margin) whatever happens */
  boundMs: number;
  log: (line: string) => void;
}

export interface LiveMetrics {
  url: string;
  /** reads the charts over [start, now] into prometheus.json, then stops Prometheus */
  finish(): Promise<LiveMetricsFile | undefined>;
  /** stops Prometheus without reading anything (error paths) */
  stop(): Promise<void>;
}

/** A free loopback port: bound, read, released (Prometheus takes no port 0). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function getJson<T>(url: string, timeoutMs = 10_000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (!res.ok || body.status !== 'success') throw new Error(`GET ${url}: HTTP ${res.status}${body.error ? `: ${body.error}` : ''}`);
  return body.data;
}

async function waitReady(url: string, child: ChildProcess, logFile: string, boundMs = 60_000): Promise<void> {
  const until = Date.now() + boundMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new EnvironmentError(`live metrics: prometheus exited with code ${child.exitCode} before it was ready; its log: ${logFile}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new EnvironmentError(`live metrics: prometheus at ${url} not ready within ${boundMs / 1000} s; its log: ${logFile}`);
}

export async function startLiveMetrics(o: LiveMetricsOptions): Promise<LiveMetrics> {
  const bin = await ensurePrometheus();
  const version = await prometheusVersion(bin);
  const dataDir = path.join(o.runDir, LIVE_METRICS_DATA);
  fs.mkdirSync(dataDir, { recursive: true });
  // config and password outside the run folder: run folders are shared, the password is not
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-prometheus-'));
  const targets: ScrapeTargets = { engine: o.engine };
  if (o.haproxy) {
    const passwordFile = path.join(secretDir, 'haproxy-password');
    writePrivateFile(passwordFile, o.haproxy.password);
    targets.haproxy = { statsUrl: o.haproxy.statsUrl, user: o.haproxy.user, passwordFile };
  }
  const configFile = path.join(secretDir, 'prometheus.yml');
  writePrivateFile(configFile, scrapeConfig(targets));
  // a copy without the password for the reader of the run folder
  fs.writeFileSync(path.join(dataDir, 'scrape-config.yml'), scrapeConfig({ ...targets, ...(targets.haproxy ? { haproxy: { ...targets.haproxy, passwordFile: '(not kept)' } } : {}) }));

  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dataDir, 'prometheus.log');
  const log = fs.openSync(logFile, 'a');
  const boundS = Math.ceil(o.boundMs / 1000) + 600;
  const child = spawn(
    'timeout',
    [
      '--kill-after=10',
      String(boundS),
      bin,
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=3650d',
      '--log.level=warn',
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  const start = Date.now();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // timeout forwards it; Prometheus flushes its head block and leaves
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    // also when Prometheus died by itself: the password file must not outlive the session
    fs.rmSync(secretDir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  const jobs: string[] = [...(targets.engine ? [JOBS.engine] : []), ...(targets.haproxy ? [JOBS.haproxy] : [])];
  o.log(`live metrics: Prometheus ${version} at ${url} scrapes ${jobs.join(' and ')} every ${SCRAPE_INTERVAL_S} s (TSDB ${path.relative(process.cwd(), dataDir) || dataDir})`);

  return {
    url,
    stop,
    async finish() {
      try {
        // one more scrape, so the last second of the run is in
        await new Promise((r) => setTimeout(r, SCRAPE_INTERVAL_S * 1500));
        const file = await exportCharts(url, { start, end: Date.now(), version, jobs, dataDir: path.relative(o.runDir, dataDir) });
        writeJson(o.runDir, LIVE_METRICS_FILE, file);
        const empty = file.charts.filter((c) => !c.series.length).map((c) => c.id);
        o.log(`live metrics: ${file.charts.length - empty.length}/${file.charts.length} charts with data in ${LIVE_METRICS_FILE}${empty.length ? ` (no data: ${empty.join(', ')})` : ''}${file.errors.length ? `; ${file.errors.length} queries failed` : ''}`);
        for (const t of file.targets.filter((x) => x.upShare < MIN_UP_SHARE)) o.log(`live metrics: warning: only ${(t.upShare * 100).toFixed(0)} % of the scrapes of ${t.job} (${t.url}) worked${t.lastError ? `; last error: ${t.lastError}` : ''}`);
        return file;
      } catch (err) {
        o.log(`live metrics: warning: nothing exported (${err instanceof Error ? err.message : String(err)})`);
        return undefined;
      } finally {
        await stop();
      }
    },
  };
}

async function prometheusVersion(bin: string): Promise<string> {
  const out = await new Promise<string>((resolve) => {
    const c = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    c.stdout.on('data', (d) => (s += d));
    c.stderr.on('data', (d) => (s += d));
    c.once('close', () => resolve(s));
    c.once('error', () => resolve(''));
  });
  return /version (\S+)/.exec(out)?.[1] ?? 'unknown';
}

/** Reads every charted query over the window; a failed query is an entry in `errors`, not a throw. */
export async function exportCharts(url: string, w: { start: number; end: number; version: string; jobs: string[]; dataDir: string }): Promise<LiveMetricsFile> {
  const stepS = queryStepS(w.start, w.end, SCRAPE_INTERVAL_S);
  const charts: LiveChart[] = [];
  const errors: string[] = [];
  for (const q of LIVE_QUERIES) {
    if (!w.jobs.includes(q.job)) continue;
    const qs = new URLSearchParams({ query: q.expr, start: String(w.start / 1000), end: String(w.end / 1000), step: `${stepS}s` });
    try {
      charts.push(chartFromMatrix(q, await getJson<PromMatrix>(`${url}/api/v1/query_range?${qs}`)));
    } catch (err) {
      errors.push(`${q.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let targets: LiveMetricsFile['targets'] = [];
  try {
    const t = await getJson<{ activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }[] }>(`${url}/api/v1/targets`);
    // the share of scrapes that worked over the window: the engine is gone by now, so "health" alone says little
    const spanS = Math.max(1, Math.ceil((w.end - w.start) / 1000));
    const qs = new URLSearchParams({ query: `avg by (job) (avg_over_time(up[${spanS}s]))`, time: String(w.end / 1000) });
    const up = await getJson<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`${url}/api/v1/query?${qs}`);
    const share = new Map(up.result.map((r) => [r.metric.job ?? '', Number(r.value[1])]));
    // the URL without the query string (scope=...) and never with credentials
    targets = t.activeTargets.map((a) => ({
      job: a.labels.job ?? '',
      url: a.scrapeUrl.replace(/\?.*$/, ''),
      upShare: Math.round((share.get(a.labels.job ?? '') ?? 0) * 1000) / 1000,
      health: a.health,
      lastError: a.lastError,
    }));
  } catch (err) {
    errors.push(`targets: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { source: 'prometheus', version: w.version, scrapeIntervalS: SCRAPE_INTERVAL_S, start: w.start, end: w.end, stepS, targets, charts, errors, dataDir: w.dataDir };
}
