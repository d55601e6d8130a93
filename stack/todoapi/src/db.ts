// Database access: writes go to the primary, reads to the replicas.
//
// Reads are idempotent, so any failure is retried on a fresh connection (which re-resolves DNS and
// avoids the address that just failed). Writes are retried only while acquiring a connection;
// once an INSERT/UPDATE was sent, a failure is reported (503) and never replayed: the client
// then knows the write was not acknowledged.
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { HostPicker } from './hosts.ts';
import type { ApiConfig } from './config.ts';
import { errFields, throttledWarn, type Fields, type Logger } from '../../shared/log.ts';

export type Target = 'primary' | 'replica';

export class DbUnavailableError extends Error {
  constructor(
    readonly target: Target,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface CoreConn {
  lastActiveTime?: number;
}

/** connection-level errors after which a connection must not be reused */
export function isFatal(err: unknown): boolean {
  const e = err as { fatal?: boolean; code?: string };
  return e?.fatal === true || e?.code === 'PROTOCOL_SEQUENCE_TIMEOUT' || e?.code === 'ACQUIRE_TIMEOUT';
}

/** the address a pooled connection talks to (its socket's peer), if still known */
function remoteAddress(conn: PoolConnection): string | undefined {
  return (conn.connection as unknown as { stream?: { remoteAddress?: string } }).stream?.remoteAddress;
}

export class Db {
  readonly primary: Pool;
  readonly replica: Pool;
  private readonly born = new WeakMap<object, number>();
  private readonly health = new Map<Target, { at: number; ok: boolean }>();
  /** the replica pool's address picker: a replica that stalls a read is avoided by new connections */
  private readonly replicaPicker: HostPicker;
  private readonly warnOnce: (key: string, msg: string, fields?: Fields) => void;

  constructor(
    private readonly cfg: ApiConfig,
    private readonly log: Logger,
  ) {
    // why reads fail must show in the log even when it happens hundreds of times a second
    this.warnOnce = throttledWarn(log, 1000);
    const onBad = (target: Target) => (ip: string, why: string) => this.warnOnce(`bad ${target} ${ip} ${why}`, `${target} address avoided for ${cfg.badHostMs} ms`, { ip, why });
    this.replicaPicker = new HostPicker(cfg.badHostMs, Date.now, onBad('replica'));
    this.primary = this.makePool(cfg.primary, new HostPicker(cfg.badHostMs, Date.now, onBad('primary')));
    this.replica = this.makePool(cfg.replica, this.replicaPicker);
  }

  private makePool(addr: { host: string; port: number }, picker: HostPicker): Pool {
    const pool = mysql.createPool({
      host: addr.host,
      port: addr.port,
      user: this.cfg.user,
      password: this.cfg.password,
      database: this.cfg.database,
      charset: 'UTF8MB4_GENERAL_CI',
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      connectTimeout: this.cfg.connectTimeoutMs,
      connectionLimit: this.cfg.poolSize,
      // maxIdle < connectionLimit turns on mysql2's idle reaper, so quiet pools re-resolve later
      maxIdle: Math.max(1, this.cfg.poolSize - 1),
      idleTimeout: 10_000,
      queueLimit: 200,
      waitForConnections: true,
      stream: () => picker.connect(addr.host, addr.port),
    });
    return pool;
  }

  private async acquire(pool: Pool): Promise<PoolConnection> {
    const conn = await this.acquireRaw(pool);
    // first time we see a connection ~ its creation time (used for the max-age recycling)
    const core = conn.connection as unknown as object;
    if (!this.born.has(core)) this.born.set(core, Date.now());
    return conn;
  }

  private async acquireRaw(pool: Pool): Promise<PoolConnection> {
    const pending = pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error(`no database connection within ${this.cfg.acquireTimeoutMs} ms`), { code: 'ACQUIRE_TIMEOUT' }));
      }, this.cfg.acquireTimeoutMs);
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      pending.then((c) => c.release(), () => undefined); // a late connection goes back to the pool
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** release, or destroy when the connection is broken or old (so load follows task changes) */
  private done(conn: PoolConnection, err?: unknown): void {
    const core = conn.connection as unknown as object;
    const born = this.born.get(core) ?? 0;
    if ((err !== undefined && isFatal(err)) || Date.now() - born > this.cfg.connMaxAgeMs) conn.destroy();
    else conn.release();
  }

  private async withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${ms} ms`), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' })), ms);
    });
    try {
      return await Promise.race([p, t]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** why a read or write could not get a connection, throttled per target and error code */
  private warnNoConnection(target: Target, attempt: number, err: unknown): void {
    const f = errFields(err);
    this.warnOnce(`acquire ${target} ${String(f.code)}`, `no ${target} connection`, { attempt, ...f });
  }

  /** Runs fn on a replica connection; retries on any error (reads are idempotent). */
  async read<T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    let last: unknown;
    for (let attempt = 0; attempt <= this.cfg.readRetries; attempt++) {
      let conn: PoolConnection;
      try {
        conn = await this.acquire(this.replica);
      } catch (err) {
        last = err;
        this.warnNoConnection('replica', attempt, err);
        continue;
      }
      try {
        const r = await fn(conn);
        this.done(conn);
        return r;
      } catch (err) {
        // a SQL error on one replica (e.g. still cloning) may not repeat on another: always discard,
        // and let new connections avoid that replica for a while (a stalled one times out every
        // query it gets; round-robin alone would keep giving it every other connection)
        const f = errFields(err);
        const ip = remoteAddress(conn);
        if (ip) this.replicaPicker.markBad(ip, `read failed: ${String(f.code ?? f.err)}`);
        conn.destroy();
        last = err;
        this.log.warn('replica read failed', { attempt, ...f });
      }
    }
    if (this.cfg.readFallback === 'primary') {
      this.log.warn('no replica answered; reading from the primary (TODO_READ_FALLBACK=primary)', errFields(last));
      return this.write(fn);
    }
    throw new DbUnavailableError('replica', 'no replica answered', { cause: last });
  }

  /** Runs fn on a primary connection; never replays fn after it started. */
  async write<T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    let conn: PoolConnection | undefined;
    let last: unknown;
    for (let attempt = 0; attempt < 3 && !conn; attempt++) {
      try {
        const c = await this.acquire(this.primary);
        // An idle pooled connection may point at a primary task that is gone; check it before
        // sending a write, so a dead socket costs a retry instead of a failed write.
        const idle = Date.now() - ((c.connection as unknown as CoreConn).lastActiveTime ?? 0);
        if (idle > 1000) {
          try {
            await this.withTimeout(c.ping(), this.cfg.connectTimeoutMs);
          } catch (err) {
            c.destroy();
            throw err;
          }
        }
        conn = c;
      } catch (err) {
        last = err;
        this.warnNoConnection('primary', attempt, err);
      }
    }
    if (!conn) throw new DbUnavailableError('primary', 'primary not reachable', { cause: last });
    try {
      const r = await fn(conn);
      this.done(conn);
      return r;
    } catch (err) {
      this.done(conn, err);
      throw new DbUnavailableError('primary', 'write failed', { cause: err });
    }
  }

  /** SELECT 1 on a target, cached for 1 s (health probes must not hammer the database) */
  async ping(target: Target): Promise<boolean> {
    const cached = this.health.get(target);
    if (cached && Date.now() - cached.at < 1000) return cached.ok;
    let ok = false;
    try {
      const conn = await this.acquire(target === 'primary' ? this.primary : this.replica);
      try {
        await conn.query({ sql: 'SELECT 1', timeout: 1000 });
        this.done(conn);
        ok = true;
      } catch (err) {
        this.done(conn, err);
      }
    } catch {
      ok = false;
    }
    this.health.set(target, { at: Date.now(), ok });
    return ok;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.primary.end(), this.replica.end()]);
  }
}
