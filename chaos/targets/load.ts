// Reading a target file (YAML or JSON) into an AppTarget, validated with zod at the edge: an error
// names the file and the key, what was expected and what was got (exit 2). Sections left out
// (probe, writes, db) are the TODO app's; roles are never filled in from the default, so a role
// the file does not name stays unknown instead of silently pointing at the TODO app's service.
import fs from 'node:fs';
import YAML from 'yaml';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { issueLine, pathText, zodIssueLines } from '../../scripts/lib/config-errors.ts';
import { ROLES, TargetFileSchema, TODO_TARGET, type AppTarget } from './schema.ts';

function knownKeys(p: readonly PropertyKey[]): readonly string[] | undefined {
  const key = pathText(p);
  if (key === '') return Object.keys(TargetFileSchema.shape);
  if (key === 'roles') return ROLES;
  if (key === 'probe') return ['endpoints', 'steadyPaths'];
  if (key === 'writes') return ['create', 'list', 'table'];
  if (key === 'writes.create') return ['method', 'path', 'tokenField', 'idField'];
  if (key === 'writes.list') return ['path'];
  if (key === 'writes.table') return ['name', 'idColumn', 'tokenColumn'];
  if (key === 'db') return ['network', 'port', 'userSecret', 'user', 'passwordSecret', 'database'];
  if (/^probe\.endpoints\[\d+\]$/.test(key)) return ['name', 'path'];
  return undefined;
}

/** Validates target data; `label` names it in errors (e.g. `target file x.yaml`). */
export function parseTarget(raw: unknown, label: string, file?: string): AppTarget {
  const parsed = TargetFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(zodIssueLines(parsed.error, { source: (p) => `${label}: ${pathText(p) || '(root)'}`, input: raw, knownKeys }).join('\n'));
  }
  const d = parsed.data;
  const db = d.db ?? TODO_TARGET.db;
  if (d.db && !d.db.user && !d.db.userSecret) throw new ConfigError(issueLine(`${label}: db.user`, 'a DB user name (db.user) or a Docker secret holding it (db.userSecret)', undefined));
  return {
    name: d.name,
    ...(d.description ? { description: d.description } : {}),
    roles: Object.fromEntries(Object.entries(d.roles).filter(([, v]) => v !== undefined)),
    probe: d.probe ?? TODO_TARGET.probe,
    writes: d.writes ?? TODO_TARGET.writes,
    db,
    source: label,
    ...(file ? { file } : {}),
  };
}

/** Reads a target file; `source` names where its path came from (flag, variable, config key). */
export function loadTargetFile(file: string, source = '--target-file'): AppTarget {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(issueLine(source, 'a readable target file (YAML or JSON)', `${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`), { cause: err });
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`target file ${file}: (file): expected YAML or JSON, got a parse error: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  return parseTarget(raw, `target file ${file}`, file);
}
