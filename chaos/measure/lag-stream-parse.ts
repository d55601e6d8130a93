// Pure: parses the output of one long-lived `mariadb --batch` client that is fed, every tick,
//   SELECT 'hb' AS k, UNIX_TIMESTAMP(NOW(6)) AS now_s, <heartbeat lag ms> AS lag_ms ...;
//   SHOW SLAVE STATUS;
//   SELECT 'end' AS k;
// Batch mode prints each result set as a tab-separated header line and its rows. One LagSample
// per 'end' marker. lag_ms here is the 'heartbeat-age' figure (see LagSample); lag.ts puts the
// one-clock visibility figure of lag-visibility.ts in front of it. (One client per replica instead of one tododb-lag process per sample: at
// 10 samples/s per replica the process spawns alone cost a large share of a 2-core machine.)
import type { LagSample } from '../../scripts/lib/run-folder.ts';

export const LAG_TICK_SQL =
  "SELECT 'hb' AS k, UNIX_TIMESTAMP(NOW(6)) AS now_s, TIMESTAMPDIFF(MICROSECOND, ts, NOW(6))/1000 AS lag_ms FROM heartbeat WHERE id=1; " +
  "SHOW SLAVE STATUS; SELECT 'end' AS k;";

const nul = (v: string | undefined): string | undefined => (v === undefined || v === 'NULL' || v === '' ? undefined : v);

export class LagStreamParser {
  private header: string[] | undefined;
  private tick: { now?: number; lag?: number | null; slave?: Record<string, string> } = {};

  constructor(
    private readonly replica: string,
    private readonly node?: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Feeds one output line; returns a sample when a tick is complete. */
  push(line: string): LagSample | undefined {
    const cols = line.split('\t');
    if (!this.header) {
      this.header = cols;
      return undefined;
    }
    const h = this.header;
    this.header = undefined; // every result set here has exactly one row after its header
    if (h[0] === 'k' && cols[0] === 'hb') {
      this.tick.now = Number(cols[1]) * 1000;
      const lag = nul(cols[2]);
      this.tick.lag = lag === undefined ? null : Math.round(Number(lag) * 1000) / 1000;
      return undefined;
    }
    if (h[0] === 'Slave_IO_State') {
      this.tick.slave = Object.fromEntries(h.map((name, i) => [name, cols[i] ?? '']));
      return undefined;
    }
    if (h[0] === 'k' && cols[0] === 'end') return this.finish();
    // an unknown result set (should not happen): treat this line as the next header
    this.header = cols;
    return undefined;
  }

  private finish(): LagSample {
    const { lag, slave } = this.tick;
    this.tick = {};
    const sbm = nul(slave?.Seconds_Behind_Master);
    const s: LagSample = {
      // the runner's clock, as every other sample of the run (probe, faults, phases): the replica's
      // own NOW(6) (now_s) may be skewed on real hosts. Arrival is a few ms after the reading.
      t: this.now(),
      replica: this.replica,
      heartbeatLagMs: lag ?? null,
      secondsBehindMaster: sbm === undefined ? null : Number(sbm),
      ioRunning: slave?.Slave_IO_Running === 'Yes',
      sqlRunning: slave?.Slave_SQL_Running === 'Yes',
    };
    if (this.node) s.node = this.node;
    if (lag === undefined) s.error = 'no heartbeat reading';
    else if (!slave) s.error = 'no replication configured (SHOW SLAVE STATUS is empty)';
    return s;
  }
}

/** The in-container loop: a closed pipe (client gone or our side gone) ends it. */
export function lagClientScript(intervalMs: number, db = 'tododb'): string {
  const sleep = (intervalMs / 1000).toFixed(3);
  const sql = LAG_TICK_SQL.replace(/'/g, `'"'"'`);
  return (
    `while :; do echo '${sql}' || exit 0; sleep ${sleep}; done | ` +
    `mariadb --protocol=socket --socket=/run/mysqld/mysqld.sock -uroot --batch --unbuffered --force ${db}`
  );
}
