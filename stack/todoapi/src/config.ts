// todoapi configuration from the environment (see stack/README.md for the table).
import { int, oneOf, secret, serverEnv, str, type ServerEnv } from '../../shared/env.ts';

export interface ApiConfig extends ServerEnv {
  port: number;
  primary: { host: string; port: number };
  replica: { host: string; port: number };
  database: string;
  user: string;
  password: string;
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  acquireTimeoutMs: number;
  readRetries: number;
  /** pooled connections older than this are closed instead of reused, so load follows task changes */
  connMaxAgeMs: number;
  /** where reads go when no replica answers: 'none' = fail (503), 'primary' = read the primary */
  readFallback: 'none' | 'primary';
  badHostMs: number;
  defaultLimit: number;
  maxLimit: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return {
    port: int(env, 'TODO_PORT', 8080, 1, 65535),
    primary: { host: str(env, 'TODO_PRIMARY_HOST', 'todo_mysql_master'), port: int(env, 'TODO_PRIMARY_PORT', 3306, 1, 65535) },
    replica: { host: str(env, 'TODO_REPLICA_HOST', 'tasks.todo_mysql_slave'), port: int(env, 'TODO_REPLICA_PORT', 3306, 1, 65535) },
    database: str(env, 'TODO_DB_NAME', 'tododb'),
    user: str(env, 'TODO_DB_USER', 'todo'),
    password: secret(env, 'TODO_DB_PASSWORD', 'tododb_password'),
    poolSize: int(env, 'TODO_DB_POOL_SIZE', 4, 1, 64),
    connectTimeoutMs: int(env, 'TODO_DB_CONNECT_TIMEOUT_MS', 2000, 100, 60000),
    queryTimeoutMs: int(env, 'TODO_DB_QUERY_TIMEOUT_MS', 3000, 100, 60000),
    acquireTimeoutMs: int(env, 'TODO_DB_ACQUIRE_TIMEOUT_MS', 3000, 100, 60000),
    readRetries: int(env, 'TODO_DB_READ_RETRIES', 2, 0, 10),
    connMaxAgeMs: int(env, 'TODO_DB_CONN_MAX_AGE_MS', 30000, 1000, 3600000),
    readFallback: oneOf(env, 'TODO_READ_FALLBACK', ['none', 'primary'] as const, 'none'),
    badHostMs: int(env, 'TODO_DB_BAD_HOST_MS', 5000, 0, 600000),
    ...serverEnv(env),
    defaultLimit: int(env, 'TODO_LIST_DEFAULT_LIMIT', 100, 1, 10000),
    maxLimit: int(env, 'TODO_LIST_MAX_LIMIT', 1000, 1, 10000),
  };
}
