// gameday.config.json: one file for every command. The top level holds the shared "target" and
// one section per command family ("load", "chaos"); each command validates its own section, this
// module only finds, reads and shapes the file, so the reading is not copied per command.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.ts';

export const CONFIG_FILE = 'gameday.config.json';
export const CONFIG_ENV = 'GAMEDAY_CONFIG';

/** Top-level keys; anything else is a typo and is rejected. */
export const CONFIG_SECTIONS = ['target', 'load', 'chaos'] as const;
type Section = Exclude<(typeof CONFIG_SECTIONS)[number], 'target'>;

export interface ConfigFile {
  /** absolute path */
  file: string;
  /** how errors name the file */
  label: string;
  /** false: no file (only allowed for the default path) */
  exists: boolean;
  root: Record<string, unknown>;
}

/** --config > GAMEDAY_CONFIG > ./gameday.config.json; a file named by flag or env must exist. */
export function locateConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { file: string; required: boolean; source: string } {
  if (flag !== undefined) return { file: path.resolve(flag), required: true, source: '--config' };
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv) return { file: path.resolve(fromEnv), required: true, source: CONFIG_ENV };
  return { file: path.resolve(CONFIG_FILE), required: false, source: CONFIG_FILE };
}

/** Reads and shapes the file: a JSON object with known top-level keys. An absent default file is no input. */
export function readConfigFile(file: string, o: { required?: boolean; source?: string } = {}): ConfigFile {
  const label = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !o.required) return { file, label, exists: false, root: {} };
    throw new ConfigError(`${o.source ?? file}: expected a readable JSON config file, got ${JSON.stringify(file)} (${code ?? 'error'})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: expected valid JSON, got a parse error`, { cause: err });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError(`${file}: expected a JSON object, got ${JSON.stringify(json)}`);
  const root = json as Record<string, unknown>;
  for (const k of Object.keys(root)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(k)) {
      throw new ConfigError(`${label}: ${k}: unknown key; expected one of ${CONFIG_SECTIONS.join(', ')}`);
    }
  }
  return { file, label, exists: true, root };
}

/** One command family's section: an object, or {} when absent. */
export function configSection(cfg: ConfigFile, name: Section): Record<string, unknown> {
  const s = cfg.root[name] ?? {};
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new ConfigError(`${cfg.label}: ${name}: expected an object, got ${JSON.stringify(s)}`);
  return s as Record<string, unknown>;
}
