// Configuration of a load run, resolved once at the edge: flags > environment > gameday.config.json
// ("load" section, plus the shared top-level "target") > defaults. Every value is validated where it
// came from, so an error names the flag, variable or file key, what was expected and what was got.
import { z } from 'zod';
import { PROFILES, SCENARIOS, type ProfileName, type ScenarioName } from '../lib/catalog.ts';
import { defaults } from '../../scripts/lib/defaults.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { CONFIG_FILE, configSection, readConfigFile as readGamedayConfig } from '../../scripts/lib/config-file.ts';
import { ENGINES, type EngineName } from './load-engine.ts';

export interface LoadConfig {
  /** ingress URL; undefined = the embedded local swarm (started if needed) */
  target?: string;
  profile: ProfileName;
  scenario: ScenarioName;
  /** total duration override, seconds */
  durationS?: number;
  /** base arrival rate override, iterations/s */
  rate?: number;
  /** where run folders are created */
  outDir: string;
  /** which engine runs the scripts: ours, or a k6 the user has on PATH */
  engine: EngineName;
  /** extra engine flags, passed through verbatim to `<engine> run` */
  engineFlags: string[];
  /** SLO module (.ts/.js default export) or .json; undefined = load/slo.ts */
  slo?: string;
  /** extra thresholds "metric{tag:value}=expr" on top of the SLO file */
  thresholds: string[];
  httpTimeoutS: number;
  rywTimeoutMs: number;
  rywPollMs: number;
  /** run the engine as a swarm service with this many replicas (one execution segment each); undefined = one local process */
  distributed?: number;
}

/** Load-specific defaults (the shared ones come from scripts/lib/defaults.ts). */
export const LOAD_DEFAULTS: LoadConfig = {
  target: undefined,
  profile: 'load',
  scenario: 'mixed',
  outDir: defaults.reportsDir,
  engine: 'gameday',
  engineFlags: [],
  thresholds: [],
  httpTimeoutS: 10,
  rywTimeoutMs: 5000,
  rywPollMs: 100,
};

export { CONFIG_FILE };

const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * "90", "90s", "500ms", "1.5m", "1m30s", "1h" -> seconds (k6's duration syntax: number+unit
 * groups, largest first); a bare number is seconds. null when malformed.
 */
export function parseDuration(v: string): number | null {
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(s)) return null;
  let total = 0;
  let lastRank = Infinity;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const rank = UNIT_S[m[2]];
    if (rank >= lastRank) return null; // "30s1m", "1m1m": each unit once, largest first
    lastRank = rank;
    total += Number(m[1]) * rank;
  }
  return total;
}

/** Upper bounds that keep a typo from becoming a runaway test (every loop is bounded). */
export const LIMITS = {
  /** a week of load is more than any profile; longer is a typo */
  durationS: 7 * 24 * 3600,
  /** iterations/s: far above what one generator on this class of machine can offer */
  rate: 10_000,
  httpTimeoutS: 600,
  rywTimeoutMs: 600_000,
  /** replicas of a distributed run (swarm service tasks) */
  distributed: 32,
} as const;

type Field = keyof LoadConfig;

interface FieldSpec {
  flag: string;
  env: string;
  fileKey: string;
  expected: string;
  /** from a string (flag, env) or a JSON value (file) to the typed value; undefined = invalid */
  parse: (raw: unknown) => unknown;
}

const str = (raw: unknown) => (typeof raw === 'string' && raw.trim() ? raw.trim() : undefined);
// decimal notation only: Number() would also take "0x10", "1e3" or " 12 " as numbers
const num = (raw: unknown) => (typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN);
const positiveUpTo = (max: number) => (raw: unknown) => {
  const n = num(raw);
  return Number.isFinite(n) && n > 0 && n <= max ? n : undefined;
};
const oneOf =
  <T extends string>(list: readonly T[]) =>
  (raw: unknown) =>
    typeof raw === 'string' && (list as readonly string[]).includes(raw) ? raw : undefined;
const stringList = (raw: unknown) => {
  if (Array.isArray(raw)) return raw.every((x) => typeof x === 'string') ? raw : undefined;
  if (typeof raw === 'string') return raw.split(/\s+/).filter(Boolean); // env: space-separated
  return undefined;
};
const url = (raw: unknown) => {
  const s = str(raw);
  if (!s || !z.url({ protocol: /^https?$/ }).safeParse(s).success) return undefined;
  return s.replace(/\/+$/, '');
};
const wholeFromTo = (min: number, max: number) => (raw: unknown) => {
  const n = num(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
};
const durationUpTo = (maxS: number) => (raw: unknown) => {
  const s = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDuration(raw) : null;
  return s !== null && Number.isFinite(s) && s > 0 && s <= maxS ? s : undefined;
};
const duration = durationUpTo(LIMITS.durationS);

export const FIELDS: Record<Field, FieldSpec> = {
  target: { flag: '--target', env: 'GAMEDAY_TARGET', fileKey: 'target', expected: 'an http(s) URL like http://127.0.0.1:18080', parse: url },
  profile: { flag: '--profile', env: 'GAMEDAY_PROFILE', fileKey: 'load.profile', expected: `one of ${PROFILES.join(', ')}`, parse: oneOf(PROFILES) },
  scenario: { flag: '--scenario', env: 'GAMEDAY_SCENARIO', fileKey: 'load.scenario', expected: `one of ${SCENARIOS.join(', ')}`, parse: oneOf(SCENARIOS) },
  durationS: { flag: '--duration', env: 'GAMEDAY_DURATION', fileKey: 'load.duration', expected: `a duration like 90s, 2m, 1.5m or 1m30s, at most ${LIMITS.durationS / 3600} h`, parse: duration },
  rate: { flag: '--rate', env: 'GAMEDAY_RATE', fileKey: 'load.rate', expected: `a decimal number of iterations per second, above 0 and at most ${LIMITS.rate}`, parse: positiveUpTo(LIMITS.rate) },
  outDir: { flag: '--out-dir', env: 'GAMEDAY_OUT_DIR', fileKey: 'load.outDir', expected: 'a directory path', parse: str },
  engine: { flag: '--engine', env: 'GAMEDAY_ENGINE', fileKey: 'load.engine', expected: `one of ${ENGINES.join(', ')}`, parse: oneOf(ENGINES) },
  engineFlags: { flag: '--engine-flag', env: 'GAMEDAY_ENGINE_FLAGS', fileKey: 'load.engineFlags', expected: 'engine command-line flags', parse: stringList },
  slo: { flag: '--slo', env: 'GAMEDAY_SLO', fileKey: 'load.slo', expected: 'a path to an SLO file (.ts, .js or .json)', parse: str },
  thresholds: { flag: '--threshold', env: 'GAMEDAY_THRESHOLDS', fileKey: 'load.thresholds', expected: 'thresholds like "http_req_duration{endpoint:api-list}=p(95)<300"', parse: stringList },
  httpTimeoutS: { flag: '--http-timeout', env: 'GAMEDAY_HTTP_TIMEOUT', fileKey: 'load.httpTimeout', expected: `a duration like 10s, at most ${LIMITS.httpTimeoutS} s`, parse: durationUpTo(LIMITS.httpTimeoutS) },
  rywTimeoutMs: { flag: '--ryw-timeout', env: 'GAMEDAY_RYW_TIMEOUT', fileKey: 'load.rywTimeout', expected: `a duration like 5s, at most ${LIMITS.rywTimeoutMs / 1000} s`, parse: (r) => mul(durationUpTo(LIMITS.rywTimeoutMs / 1000)(r), 1000) },
  distributed: { flag: '--distributed', env: 'GAMEDAY_DISTRIBUTED', fileKey: 'load.distributed', expected: `a whole number of engine replicas from 1 to ${LIMITS.distributed}`, parse: wholeFromTo(1, LIMITS.distributed) },
  rywPollMs: { flag: '--ryw-poll', env: 'GAMEDAY_RYW_POLL', fileKey: 'load.rywPoll', expected: 'a duration like 100ms or 0.1s, at least 10 ms', parse: (r) => { const ms = mul(durationUpTo(LIMITS.rywTimeoutMs / 1000)(r), 1000); return ms !== undefined && ms >= 10 ? ms : undefined; } },
};

function mul(v: number | undefined, k: number) {
  return v === undefined ? undefined : Math.round(v * k);
}

export type RawValues = Partial<Record<Field, unknown>>;

/** Reads gameday.config.json (scripts/lib/config-file.ts): its "load" section and the shared top-level "target". */
export function readConfigFile(file: string, o: { required?: boolean; source?: string } = {}): { values: RawValues; label: string } {
  const cfg = readGamedayConfig(file, o);
  const load = configSection(cfg, 'load');
  const values: RawValues = {};
  if (cfg.root.target !== undefined) values.target = cfg.root.target;
  const byKey = new Map(Object.entries(FIELDS).map(([f, s]) => [s.fileKey.replace(/^load\./, ''), f as Field]));
  for (const [k, v] of Object.entries(load)) {
    const field = byKey.get(k);
    if (!field || field === 'target') {
      const known = [...byKey.keys()].filter((x) => x !== 'target').join(', ');
      throw new ConfigError(`${cfg.label}: load.${k}: unknown key; expected one of ${known}`);
    }
    values[field] = v;
  }
  return { values, label: cfg.label };
}

/** Raw values from GAMEDAY_* variables. */
export function readEnv(env: NodeJS.ProcessEnv): RawValues {
  const values: RawValues = {};
  for (const [field, spec] of Object.entries(FIELDS) as [Field, FieldSpec][]) {
    const v = env[spec.env];
    if (v !== undefined && v !== '') values[field] = v;
  }
  return values;
}

export interface Sources {
  flags: RawValues;
  env: RawValues;
  file: RawValues;
  fileLabel?: string;
}

/** flags > env > file > defaults; each value validated with the name of where it came from. */
export function resolveConfig(src: Sources, base: LoadConfig = LOAD_DEFAULTS): LoadConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [field, spec] of Object.entries(FIELDS) as [Field, FieldSpec][]) {
    const layers: [RawValues, string][] = [
      [src.flags, spec.flag],
      [src.env, spec.env],
      [src.file, `${src.fileLabel ?? CONFIG_FILE}: ${spec.fileKey}`],
    ];
    for (const [values, label] of layers) {
      if (values[field] === undefined) continue;
      const parsed = spec.parse(values[field]);
      if (parsed === undefined || (typeof parsed === 'number' && !Number.isFinite(parsed))) {
        throw new ConfigError(`${label}: expected ${spec.expected}, got ${JSON.stringify(values[field])}`);
      }
      out[field] = parsed;
      break;
    }
  }
  const cfg = out as unknown as LoadConfig;
  if (cfg.rywPollMs > cfg.rywTimeoutMs) {
    throw new ConfigError(`${FIELDS.rywPollMs.flag}: expected at most the read-your-writes timeout (${cfg.rywTimeoutMs} ms), got ${cfg.rywPollMs} ms`);
  }
  return cfg;
}
