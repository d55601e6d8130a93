// The prometheus.yml of a game day's live metrics (issue 13): what Prometheus scrapes and how
// often. Pure: the targets in, YAML text out; chaos/live-metrics/prometheus.ts writes and runs it.
import { stringify } from 'yaml';
import { ConfigError } from '../../scripts/lib/errors.ts';

export interface ScrapeTargets {
  /** the background load engine's `run --metrics-addr` (loopback HOST:PORT); absent: no local engine */
  engine?: string;
  /** HAProxy's stats listener (its `/metrics` is the Prometheus exporter), basic auth from a file */
  haproxy?: { statsUrl: string; user: string; passwordFile: string };
}

/** 1 s: faults last seconds, and HAProxy's counters would hide a short outage at Prometheus' 1 min default. */
export const SCRAPE_INTERVAL_S = 1;

/** Job names, also the `job` label the queries select on. */
export const JOBS = { engine: 'gameday-engine', haproxy: 'haproxy' } as const;

export function scrapeConfig(t: ScrapeTargets, intervalS = SCRAPE_INTERVAL_S): string {
  const jobs: Record<string, unknown>[] = [];
  if (t.engine) {
    jobs.push({ job_name: JOBS.engine, static_configs: [{ targets: [t.engine] }] });
  }
  if (t.haproxy) {
    const u = new URL(t.haproxy.statsUrl);
    const base = u.pathname.replace(/\/+$/, '');
    jobs.push({
      job_name: JOBS.haproxy,
      scheme: u.protocol.replace(/:$/, ''),
      metrics_path: `${base}/metrics`,
      // frontends and backends only: per-server series are hundreds (a slot per possible task)
      params: { scope: ['frontend', 'backend'] },
      basic_auth: { username: t.haproxy.user, password_file: t.haproxy.passwordFile },
      static_configs: [{ targets: [u.host] }],
    });
  }
  if (!jobs.length) throw new Error('live metrics: nothing to scrape (no local load engine and no HAProxy stats URL)');
  const interval = `${intervalS}s`;
  // timeout below the interval (Prometheus refuses a longer one)
  const timeout = `${Math.round(Math.max(0.5, intervalS * 0.8) * 1000)}ms`; // Prometheus durations are whole units
  return stringify({ global: { scrape_interval: interval, scrape_timeout: timeout, evaluation_interval: interval }, scrape_configs: jobs });
}

/** Which jobs a session can have: the engine only when the background load runs here (distributed
 *  replicas answer inside the swarm, not on this machine's loopback); HAProxy when a stats URL is known. */
export function liveMetricsJobs(o: { load: { enabled: boolean; distributed?: number }; statsUrl?: string }): { engine: boolean; haproxy: boolean; notes: string[] } {
  const notes: string[] = [];
  const engine = o.load.enabled && !o.load.distributed;
  if (!o.load.enabled) notes.push('no background load (--no-load): the engine is not scraped');
  else if (o.load.distributed) notes.push('the distributed engine replicas run inside the swarm: they are not scraped (their metrics come back through the service logs as always)');
  const haproxy = Boolean(o.statsUrl);
  if (!haproxy) notes.push('no HAProxy stats URL (--stats-url): HAProxy is not scraped');
  return { engine, haproxy, notes };
}

/** One line for --dry-run and the session log. */
export function describeLiveMetrics(o: Parameters<typeof liveMetricsJobs>[0]): string {
  const j = liveMetricsJobs(o);
  const what = [j.engine ? 'the load engine (run --metrics-addr on loopback)' : '', j.haproxy ? `HAProxy's /metrics at ${o.statsUrl}` : ''].filter(Boolean);
  const head = what.length ? `Prometheus on 127.0.0.1 scrapes ${what.join(' and ')} every ${SCRAPE_INTERVAL_S} s` : 'nothing to scrape';
  return `live metrics: ${head}${j.notes.length ? `; ${j.notes.join('; ')}` : ''}`;
}

/** --prometheus with nothing it could scrape is a usage error (exit 2), in a real run as in a dry one. */
export function checkLiveMetrics(o: Parameters<typeof liveMetricsJobs>[0]): void {
  const j = liveMetricsJobs(o);
  if (!j.engine && !j.haproxy) throw new ConfigError(`--prometheus: expected something to scrape (a background load on this machine or a HAProxy --stats-url), got neither: ${j.notes.join('; ')}`);
}
