// The TODO app under other names: the four stack files rendered with another stack/service name
// prefix (todo_mysql_master -> <prefix>_mysql_master, and every reference between the services)
// and other published ingress ports, so a copy can run beside the default on one swarm and a game
// day can be shown against services that are not called todo_*. The default renders the files
// unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { issueLine } from '../config-errors.ts';
import { STACKS } from './stacks.ts';

export interface StackNaming {
  /** stack name prefix: stacks <prefix>_mysql, <prefix>_app, <prefix>_frontend, <prefix>_ingress */
  prefix: string;
  /** host-mode ports HAProxy publishes on the manager (app, stats) */
  appPort: number;
  statsPort: number;
}

export const DEFAULT_NAMING: StackNaming = { prefix: 'todo', appPort: 80, statsPort: 1936 };

const PREFIX = /^[a-z][a-z0-9]{0,15}$/;

export function checkNaming(n: StackNaming, where = 'stack naming'): StackNaming {
  if (!PREFIX.test(n.prefix)) throw new ConfigError(issueLine(`${where}: prefix`, 'a lower-case stack name prefix (a letter, then letters/digits, at most 16)', n.prefix));
  for (const k of ['appPort', 'statsPort'] as const) {
    const v = n[k];
    if (!Number.isInteger(v) || v < 1 || v > 65535) throw new ConfigError(issueLine(`${where}: ${k}`, 'a port from 1 to 65535', v));
  }
  if (n.appPort === n.statsPort) throw new ConfigError(issueLine(`${where}: statsPort`, `a port other than appPort ${n.appPort}`, n.statsPort));
  return n;
}

/** `todo_mysql` -> `<prefix>_mysql` */
export function stackName(base: string, n: StackNaming): string {
  return base.replace(/^todo_/, `${n.prefix}_`);
}

/** Every service of the app under this naming, by the seed's stack/service pairs. */
export function serviceNames(n: StackNaming): string[] {
  return STACKS.flatMap((s) => s.services.map((svc) => `${stackName(s.name, n)}_${svc}`));
}

/** The stack file's text with the names and ports of `n`. */
export function renderStack(text: string, n: StackNaming): string {
  checkNaming(n);
  let out = text.replace(/\btodo_(mysql|app|frontend|ingress)_/g, `${n.prefix}_$1_`);
  out = out.replace(/(\{ target: 80, published: )80(,)/, `$1${n.appPort}$2`).replace(/(\{ target: 1936, published: )1936(,)/, `$1${n.statsPort}$2`);
  return out;
}

/** The stacks to deploy: name and the file to pass to `docker stack deploy -c` (rendered into
 *  `dir` when the naming is not the default). */
export function renderedStacks(repoRoot: string, n: StackNaming, dir: string): { name: string; file: string }[] {
  const isDefault = n.prefix === DEFAULT_NAMING.prefix && n.appPort === DEFAULT_NAMING.appPort && n.statsPort === DEFAULT_NAMING.statsPort;
  return STACKS.map((s) => {
    if (isDefault) return { name: s.name, file: s.file };
    const file = path.join(dir, `${stackName(s.name, n)}.yml`);
    fs.writeFileSync(file, renderStack(fs.readFileSync(path.join(repoRoot, s.file), 'utf8'), n));
    return { name: stackName(s.name, n), file };
  });
}
