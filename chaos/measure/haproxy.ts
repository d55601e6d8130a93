// HAProxy's own view next to the client's: counters per backend from the stats CSV, snapshotted
// before the run, at each fault start/end and after; haproxy.json holds the snapshots.
import type { HaproxyCounters } from '../../scripts/lib/run-folder.ts';
import { writeJson } from '../../scripts/lib/run-folder.ts';
import { parseStatsCsv } from './haproxy-csv.ts';
import { httpRequest } from './http-request.ts';
import { joinUrl } from './target.ts';

export interface HaproxyOptions {
  statsUrl: URL;
  auth?: { user: string; password: string };
  timeoutMs?: number;
  log: (line: string) => void;
}

export async function fetchCounters(opts: HaproxyOptions, label: string): Promise<HaproxyCounters> {
  const headers: Record<string, string> = {};
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}`;
  const t = Date.now();
  const url = joinUrl(opts.statsUrl, '/stats;csv');
  const res = await httpRequest(url, { timeoutMs: opts.timeoutMs ?? 5000, agent: false, headers, keepBody: true });
  if (!res.ok) throw new Error(`GET ${url.href}: ${res.error}${res.status ? ` HTTP ${res.status}` : ''} ${res.message ?? ''}`.trim());
  return { t, label, backends: parseStatsCsv(res.body ?? '') };
}

/** Collects snapshots; a failed snapshot is logged and skipped (the report shows what is there). */
export class HaproxyRecorder {
  readonly snapshots: HaproxyCounters[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly runDir: string,
    private readonly opts: HaproxyOptions,
  ) {}

  /** Queued, so snapshots keep their order even when called in quick succession. */
  snapshot(label: string): Promise<void> {
    this.chain = this.chain.then(async () => {
      try {
        this.snapshots.push(await fetchCounters(this.opts, label));
        writeJson(this.runDir, 'haproxy.json', this.snapshots);
      } catch (err) {
        this.opts.log(`haproxy: snapshot "${label}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.chain;
  }
}
