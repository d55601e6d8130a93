// SQL from inside the swarm with the target's own credentials (issue 11): one one-shot agent
// service per statement, on the app's overlay network (the target file's db.network), with the
// Docker secrets db.passwordSecret (and db.userSecret) mounted, and neither the docker socket nor
// a node of its own: any MariaDB/MySQL the user names is read as the app reads it, not as root in
// its container. The password is read from the secret file inside the task only (sql.sh).
import type Dockerode from 'dockerode';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { newAgentId, runOneShot } from './exec.ts';
import { agentServiceSpec, type AgentSecret } from './spec.ts';
import { batchRows } from '../measure/db-sql.ts';

export interface SqlTarget {
  network: string;
  port: number;
  database: string;
  user?: string;
  userSecret?: string;
  passwordSecret: string;
}

export interface AgentSqlOptions {
  image: () => Promise<string>;
  db: SqlTarget;
  owner?: string;
  log?: (line: string) => void;
  /** how errors name where the DB facts came from (default: "target db") */
  source?: string;
}

export interface AgentSql {
  /** resolves the secrets once; throws a ConfigError naming the key when one does not exist */
  check(): Promise<void>;
  /** rows of one statement on the server at host (an overlay address or name), tab-split */
  query(host: string, sql: string, timeoutMs?: number): Promise<string[][]>;
}

export const SQL_SECRET_FILES = { password: 'gameday-db-password', user: 'gameday-db-user' } as const;

/** The service spec of one statement (pure): no secret value, only the secrets' ids and names. */
export function sqlServiceSpec(i: { id: string; image: string; db: SqlTarget; secrets: AgentSecret[]; host: string; sql: string; timeoutMs: number; owner?: string }): Record<string, unknown> {
  return agentServiceSpec({
    id: i.id,
    image: i.image,
    role: 'sql',
    labels: i.owner ? { 'gameday.agent.owner': i.owner } : undefined,
    networks: [i.db.network],
    secrets: i.secrets,
    command: ['/usr/bin/tini', '--', 'gameday-agent-sql'],
    env: {
      GAMEDAY_AGENT_ID: i.id,
      GAMEDAY_AGENT_TIMEOUT_S: String(Math.max(1, Math.ceil(i.timeoutMs / 1000))),
      GAMEDAY_SQL: Buffer.from(i.sql).toString('base64'),
      GAMEDAY_DB_HOST: i.host,
      GAMEDAY_DB_PORT: String(i.db.port),
      GAMEDAY_DB_NAME: i.db.database,
      GAMEDAY_DB_USER: i.db.userSecret ? undefined : i.db.user,
    },
  });
}

/** How errors name a target's DB facts: the target file's db section, or the built-in target's. */
export function dbSource(app: { file?: string }): string {
  return app.file ? `target file ${app.file}: db` : 'target db';
}

export function agentSql(swarm: Dockerode, o: AgentSqlOptions): AgentSql {
  const source = o.source ?? 'target db';
  let secrets: Promise<AgentSecret[]> | undefined;
  const resolve = async (): Promise<AgentSecret[]> => {
    const all = (await swarm.listSecrets()) as { ID: string; Spec?: { Name?: string } }[];
    const one = (key: string, name: string, target: string): AgentSecret => {
      const s = all.find((x) => x.Spec?.Name === name);
      if (!s) throw new ConfigError(`${source}.${key}: expected the name of a Docker secret on this swarm, got ${JSON.stringify(name)} (no such secret; docker secret ls lists them)`);
      return { id: s.ID, name, target };
    };
    const out = [one('passwordSecret', o.db.passwordSecret, SQL_SECRET_FILES.password)];
    if (o.db.userSecret) out.push(one('userSecret', o.db.userSecret, SQL_SECRET_FILES.user));
    else if (!o.db.user) throw new ConfigError(`${source}: expected user or userSecret (who the measurements connect as), got neither`);
    return out;
  };
  const getSecrets = () => {
    secrets ??= resolve().catch((err) => {
      secrets = undefined; // a later call may find it (created meanwhile)
      throw err;
    });
    return secrets;
  };
  return {
    check: async () => void (await getSecrets()),
    async query(host, sql, timeoutMs = 30_000) {
      const id = newAgentId('sql');
      const spec = sqlServiceSpec({ id, image: await o.image(), db: o.db, secrets: await getSecrets(), host, sql, timeoutMs, owner: o.owner });
      const what = `SQL on ${host}:${o.db.port} (network ${o.db.network}, as ${o.db.userSecret ? `the user in secret ${o.db.userSecret}` : o.db.user})`;
      const r = await runOneShot(swarm, spec, id, what, timeoutMs, 150, o.log);
      if (r.exitCode !== 0) throw new Error(`${what} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
      return batchRows(r.stdout);
    },
  };
}
