// Configuration of `npm run chaos` and `npm run gameday`, resolved once at the edge: flags >
// environment > gameday.config.json ("chaos" section, plus the shared top-level "target") >
// CHAOS_DEFAULTS. One zod schema per field serves every source, so an error names the flag,
// variable or file key, what was expected and what was got.
import { z } from 'zod';
import { defaults } from '../scripts/lib/defaults.ts';
import { ConfigError } from '../scripts/lib/errors.ts';
import { configSection, locateConfigFile, readConfigFile } from '../scripts/lib/config-file.ts';
import { DOCKER_HOST_EXPECTED, issueLine, parseDockerHost, strictNumber } from '../scripts/lib/config-errors.ts';

export const CHAOS_DEFAULTS = {
  probeRate: 10,
  writeRate: 5,
  loadRate: 2,
  load: true,
  maxShare: undefined as number | undefined,
  allowManager: false,
  /** live metrics: Prometheus scrapes the load engine and HAProxy during the session (issue 13) */
  prometheus: false,
  outDir: defaults.reportsDir as string,
};

/** flags and env are strings; the file holds JSON values: both go through the same schema. Only
 *  plain decimals count as numbers ("0x10", "1e3", " 5" are rejected). */
const numberIn = (min: number, max: number) => z.preprocess(strictNumber, z.number().min(min).max(max));
const boolish = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v;
}, z.boolean());
const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  });
const dockerHost = z.string().refine((v) => parseDockerHost(v).ok);
const filePath = z.string().trim().min(1);

interface FieldSpec {
  flag: string;
  env?: string;
  /** key in the file: top level for the shared target, else inside "chaos" */
  fileKey: string;
  expected: string;
  schema: z.ZodType;
  /** a sharper "expected" for this bad value (e.g. the port range of a docker host) */
  explain?: (raw: unknown) => string | undefined;
}

export const CHAOS_FIELDS = {
  target: { flag: '--target', env: 'GAMEDAY_TARGET', fileKey: 'target', expected: 'an http(s) URL', schema: httpUrl },
  statsUrl: { flag: '--stats-url', env: 'GAMEDAY_STATS_URL', fileKey: 'chaos.statsUrl', expected: 'an http(s) URL', schema: httpUrl },
  dockerHost: { flag: '--docker-host', env: 'DOCKER_HOST', fileKey: 'chaos.dockerHost', expected: DOCKER_HOST_EXPECTED, schema: dockerHost, explain: (raw) => {
    const r = parseDockerHost(raw);
    return r.ok || r.expected === DOCKER_HOST_EXPECTED ? undefined : r.expected;
  } },
  rate: { flag: '--rate', env: 'GAMEDAY_CHAOS_RATE', fileKey: 'chaos.rate', expected: 'a number from 1 to 200', schema: numberIn(1, 200) },
  writeRate: { flag: '--write-rate', env: 'GAMEDAY_CHAOS_WRITE_RATE', fileKey: 'chaos.writeRate', expected: 'a number from 0 to 100', schema: numberIn(0, 100) },
  loadRate: { flag: '--load-rate', env: 'GAMEDAY_CHAOS_LOAD_RATE', fileKey: 'chaos.loadRate', expected: 'a number from 0.1 to 500', schema: numberIn(0.1, 500) },
  // issue 13: the background load as a swarm service of N engine replicas (as `load --distributed`)
  loadDistributed: { flag: '--load-distributed', env: 'GAMEDAY_CHAOS_LOAD_DISTRIBUTED', fileKey: 'chaos.loadDistributed', expected: 'a whole number of engine replicas from 1 to 32', schema: z.preprocess(strictNumber, z.number().int().min(1).max(32)) },
  load: { flag: '--no-load', env: 'GAMEDAY_CHAOS_LOAD', fileKey: 'chaos.load', expected: 'true or false', schema: boolish },
  maxShare: { flag: '--max-share', env: 'GAMEDAY_CHAOS_MAX_SHARE', fileKey: 'chaos.maxShare', expected: 'a number from 0.01 to 1', schema: numberIn(0.01, 1) },
  allowManager: { flag: '--allow-manager', env: 'GAMEDAY_CHAOS_ALLOW_MANAGER', fileKey: 'chaos.allowManager', expected: 'true or false', schema: boolish },
  prometheus: { flag: '--prometheus', env: 'GAMEDAY_PROMETHEUS', fileKey: 'chaos.prometheus', expected: 'true or false', schema: boolish },
  outDir: { flag: '--out-dir', env: 'GAMEDAY_OUT_DIR', fileKey: 'chaos.outDir', expected: 'a directory path', schema: filePath },
  plan: { flag: '--plan', env: 'GAMEDAY_PLAN_FILE', fileKey: 'chaos.plan', expected: 'a path to a game-day plan (YAML)', schema: filePath },
  targetFile: { flag: '--target-file', env: 'GAMEDAY_TARGET_FILE', fileKey: 'chaos.targetFile', expected: 'a path to a target file (YAML or JSON: roles, probe, writes, db)', schema: filePath },
} satisfies Record<string, FieldSpec>;

export type ChaosField = keyof typeof CHAOS_FIELDS;
export type ChaosRaw = Partial<Record<ChaosField, unknown>>;

export interface ChaosFile {
  values: ChaosRaw;
  label: string;
  /** absolute path when a file was read */
  file?: string;
}

const expectedOf = (spec: FieldSpec, raw: unknown): string => spec.explain?.(raw) ?? spec.expected;

/** The "chaos" section and the shared "target", validated as a whole with one strict zod schema. */
export function chaosFileValues(root: Record<string, unknown>, section: Record<string, unknown>, label: string): ChaosRaw {
  const inSection = (Object.entries(CHAOS_FIELDS) as [ChaosField, FieldSpec][]).filter(([, s]) => s.fileKey.startsWith('chaos.'));
  const schema = z
    .object(Object.fromEntries(inSection.map(([, s]) => [s.fileKey.slice('chaos.'.length), s.schema.optional()])))
    .strict();
  const parsed = schema.safeParse(section);
  if (!parsed.success) {
    // one line per problem, each naming its key
    const known = inSection.map(([, s]) => s.fileKey.slice('chaos.'.length)).join(', ');
    const lines = new Set<string>();
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) lines.add(`${label}: chaos.${k}: unknown key; expected one of ${known}`);
        continue;
      }
      const key = String(issue.path[0]);
      const spec = inSection.find(([, s]) => s.fileKey === `chaos.${key}`)![1];
      lines.add(issueLine(`${label}: chaos.${key}`, expectedOf(spec, section[key]), section[key]));
    }
    throw new ConfigError([...lines].join('\n'));
  }
  const values: ChaosRaw = {};
  if (root.target !== undefined) {
    const t = CHAOS_FIELDS.target.schema.safeParse(root.target);
    if (!t.success) throw new ConfigError(issueLine(`${label}: target`, CHAOS_FIELDS.target.expected, root.target));
    values.target = t.data;
  }
  for (const [field, s] of inSection) {
    const v = (parsed.data as Record<string, unknown>)[s.fileKey.slice('chaos.'.length)];
    if (v !== undefined) values[field] = v;
  }
  return values;
}

/** Finds (--config > GAMEDAY_CONFIG > ./gameday.config.json) and reads the config file. */
export function readChaosFile(configFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): ChaosFile {
  const where = locateConfigFile(configFlag, env);
  const cfg = readConfigFile(where.file, where);
  if (!cfg.exists) return { values: {}, label: cfg.label };
  return { values: chaosFileValues(cfg.root, configSection(cfg, 'chaos'), cfg.label), label: cfg.label, file: cfg.file };
}

export interface ChaosSources {
  flags: ChaosRaw;
  env: NodeJS.ProcessEnv;
  file: ChaosFile;
}

/** Which layer gave the value, parsed; undefined when none did (the default applies). */
export function resolveField(field: ChaosField, src: ChaosSources): { value: unknown; from: 'flag' | 'env' | 'file' } | undefined {
  const spec: FieldSpec = CHAOS_FIELDS[field];
  const flag = src.flags[field];
  if (flag !== undefined) return { value: parseAs(spec, flag, spec.flag), from: 'flag' };
  const env = spec.env ? src.env[spec.env] : undefined;
  if (env !== undefined && env !== '') return { value: parseAs(spec, env, spec.env!), from: 'env' };
  // the file was validated as a whole when it was read
  if (src.file.values[field] !== undefined) return { value: src.file.values[field], from: 'file' };
  return undefined;
}

/** How errors name where a resolved value came from. */
export function sourceLabel(field: ChaosField, from: 'flag' | 'env' | 'file', file: ChaosFile): string {
  const spec: FieldSpec = CHAOS_FIELDS[field];
  return from === 'flag' ? spec.flag : from === 'env' ? spec.env! : `${file.label}: ${spec.fileKey}`;
}

function parseAs(spec: FieldSpec, raw: unknown, label: string): unknown {
  const r = spec.schema.safeParse(raw);
  if (!r.success) throw new ConfigError(issueLine(label, expectedOf(spec, raw), raw));
  return r.data;
}
