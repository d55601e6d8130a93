// The run folder is the contract between load/, chaos/ and reports/. Every run writes one folder
// under reports/runs/<id>/. A folder is complete only when run.json has a closed status; while a
// run is going (or after it died) run.json says "running" and the file INCOMPLETE exists, so an
// interrupted run can never be mistaken for a finished one.
//
// Files (all optional except run.json; absent means "not measured in this run"):
//   run.json            RunMeta
//   k6-summary.json     the engine's handleSummary data (k6's JSON summary object)
//   k6-timeseries.json.gz  the engine's --out json (gzipped NDJSON of Point/Metric lines, k6's format)
//   k6.log              the engine's stdout/stderr
//   journal.json        ChaosJournal (chaos / gameday: phases of all experiments, prefixed "<experiment>/")
//   gameday.json        GamedayJournal (gameday only: one ChaosJournal per experiment)
//   probe.jsonl         ProbeSample per line
//   lag.jsonl           LagSample per line
//   writes.jsonl        WriteRecord per line
//   rw-lag.jsonl        RwLagSample per line (read-your-writes lag through the API)
//   writes-check.json   LostWriteResult
//   placement.jsonl     PlacementSample per line
//   haproxy.json        HaproxyCounters[] (before/after snapshots)
//   verdicts.json       Verdict[]
//   phase-stats.json    per experiment: probe/write phase stats, lag stats, latency per phase (chaos/verdicts.ts)
//   result.json, report.html, summary.md, junit.xml   rendered by reports/
import fs from 'node:fs';
import path from 'node:path';

export const RUN_SCHEMA_VERSION = 1;

export type RunKind = 'load' | 'chaos' | 'gameday';
export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted' | 'interrupted';

export interface RunMeta {
  schemaVersion: number;
  id: string;
  kind: RunKind;
  status: RunStatus;
  startedAt: string; // ISO
  finishedAt?: string;
  git?: { revision: string; dirty: boolean };
  target: { ingressUrl: string; statsUrl?: string; dockerHost?: string; embedded: boolean };
  profile?: string;
  scenario?: string;
  experiment?: string;
  plan?: string;
  /** the load engine that ran the k6 scripts, e.g. "gameday-engine v0.1.0" */
  engine?: string;
  /** older run folders: the k6 release that ran them */
  k6Version?: string;
  config: unknown; // the resolved configuration
  verdict?: 'pass' | 'fail';
  exitCode?: number;
  failures?: string[]; // human-readable reasons for a fail verdict
}

/** One availability probe request. t = epoch ms when sent. */
export interface ProbeSample {
  t: number;
  endpoint: string; // e.g. "api-list", "web-index"
  conn: 'keepalive' | 'fresh';
  ok: boolean;
  status: number; // 0 when no response
  error?: 'timeout' | 'connect' | 'reset' | 'status' | 'other';
  ms: number;
  fault?: string; // active fault name, if any
  dropped?: boolean; // not sent: every in-flight slot was still waiting (client-side stall); counts as failed
}

/**
 * Replication lag of one replica. heartbeatLagMs is the lag figure (ms), made as lagMethod says:
 *   'visibility'    time from a heartbeat write acknowledged by the primary until the replica had
 *                   applied it, both on one clock (chaos/measure/lag-visibility.pl), or the age of
 *                   the oldest heartbeat not applied yet; ~1 ms resolution, no clock skew
 *   'heartbeat-age' (fallback, and samples written before lagMethod existed) NOW(6) on the
 *                   replica minus the primary's heartbeat row, written every 100 ms: 0-100 ms on a
 *                   caught-up replica, plus the skew between the two hosts' clocks
 * heartbeatAgeMs is the 'heartbeat-age' figure, kept beside the visibility one; sbm = Seconds_Behind_Master.
 */
export interface LagSample {
  t: number; // epoch ms on the runner's clock (when the sample arrived)
  replica: string; // task name or host
  heartbeatLagMs: number | null;
  lagMethod?: 'visibility' | 'heartbeat-age';
  heartbeatAgeMs?: number | null;
  secondsBehindMaster: number | null;
  ioRunning: boolean;
  sqlRunning: boolean;
  node?: string; // swarm node hostname the replica task runs on
  error?: string; // the sampler could not read the replica (the other fields are then null/false)
}

/** One attempted write. acknowledged = the API answered 2xx with this id. */
export interface WriteRecord {
  t: number;
  token: string; // unique title marker we sent
  acknowledged: boolean;
  id?: number;
  status: number;
  ms?: number;
  error?: 'timeout' | 'connect' | 'reset' | 'status' | 'other';
  fault?: string; // active fault name, if any
}

/** Read-your-writes lag: from the acknowledged create (t) until the id showed in GET /todo. */
export interface RwLagSample {
  t: number; // epoch ms when the create was acknowledged
  token: string;
  id: number;
  visibleMs: number | null; // upper bound (response time of the first list that had it); null = not seen in time
  polls: number; // list reads before it showed
  fault?: string;
}

export interface LostWriteResult {
  checkedAt: string;
  attempted: number;
  acknowledged: number;
  perServer: { server: string; present: number; lost: number[]; unexpected: string[] }[];
  lost: number[];
  unexpected: string[];
  ok: boolean;
  duplicated?: string[]; // tokens stored more than once (e.g. a replayed POST); reported, not part of ok
  caughtUp?: boolean; // false: a replica still lacked ids of the primary when the wait ran out
}

export interface PlacementSample {
  t: number;
  service: string;
  task: string; // task id
  slot?: number;
  node: string; // node hostname
  state: string; // running, shutdown, failed, ...
  desired: string;
}

export interface HaproxyCounters {
  t: number;
  label: string; // "before" / "after" / fault name
  backends: { name: string; retries: number; redispatches: number; http5xx: number; requests: number }[];
}

export interface FaultWindow {
  name: string; // fault id, e.g. "kill-tasks:todo_app_api"
  start: number;
  end?: number;
  target?: string;
  kind?: string; // fault kind (chaos/faults), e.g. "kill-tasks"
  description?: string; // the fault's plan line
  notes?: Record<string, unknown>; // observations while injecting, e.g. { updateState: 'rollback_completed' }
}

export interface Phase {
  name: string; // "before", "fault:<name>", "recovery", "after"
  start: number;
  end: number;
}

export interface Verdict {
  experiment: string;
  tolerance: string; // e.g. "availability >= 99%"
  ok: boolean;
  expected: string;
  actual: string;
}

export interface ChaosJournal {
  experiment: string;
  status: 'completed' | 'failed' | 'aborted' | 'interrupted';
  deviated: boolean;
  startedAt: string;
  finishedAt: string;
  steadyStateBefore: { ok: boolean; details: string[] };
  steadyStateAfter?: { ok: boolean; details: string[] };
  faults: FaultWindow[];
  phases: Phase[];
  rollbacks: { fault: string; ok: boolean; error?: string }[];
  recovery?: { service: string; backAtDesiredMs: number | null }[];
  steadyStateRecoveredMs?: number | null; // first injection -> steady state holds again (null: it did not)
  plan?: string[]; // the plan lines (what --dry-run prints)
  error?: string;
}

/** gameday.json: one journal per experiment of a game day (journal.json then aggregates them). */
export interface GamedayJournal {
  plan: string; // plan file
  status: 'completed' | 'failed' | 'aborted' | 'interrupted';
  experiments: ChaosJournal[];
}

export function runId(kind: RunKind, label: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${kind}-${label}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

export const INCOMPLETE_MARKER = 'INCOMPLETE';

export function createRunFolder(root: string, meta: Omit<RunMeta, 'schemaVersion' | 'status'>): string {
  const dir = path.resolve(root, meta.id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, INCOMPLETE_MARKER), 'this run has not finished (or it died)\n');
  writeJson(dir, 'run.json', { schemaVersion: RUN_SCHEMA_VERSION, status: 'running', ...meta });
  return dir;
}

export function closeRunFolder(dir: string, patch: Partial<RunMeta> & { status: Exclude<RunStatus, 'running'> }): RunMeta {
  const meta = readJson<RunMeta>(dir, 'run.json');
  const closed: RunMeta = { ...meta, ...patch, finishedAt: new Date().toISOString() };
  writeJson(dir, 'run.json', closed);
  fs.rmSync(path.join(dir, INCOMPLETE_MARKER), { force: true });
  return closed;
}

export function isComplete(dir: string): boolean {
  if (fs.existsSync(path.join(dir, INCOMPLETE_MARKER))) return false;
  try {
    return readJson<RunMeta>(dir, 'run.json').status !== 'running';
  } catch {
    return false;
  }
}

export function writeJson(dir: string, file: string, data: unknown): void {
  // write-then-rename so a crash never leaves half a JSON file
  const target = path.join(dir, file);
  fs.writeFileSync(`${target}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  fs.renameSync(`${target}.tmp`, target);
}

export function readJson<T>(dir: string, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as T;
}

export function appendJsonl(dir: string, file: string, rows: unknown[]): void {
  if (!rows.length) return;
  fs.appendFileSync(path.join(dir, file), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function readJsonl<T>(dir: string, file: string): T[] {
  const p = path.join(dir, file);
  if (!fs.existsSync(p)) return [];
  return fs
    .readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
