// Per-connection DNS resolution with failover, for Swarm dnsrr names.
//
// `tasks.todo_mysql_slave` resolves to one A record per healthy replica task. A pool that resolved
// once would keep talking to tasks that are gone, so every NEW connection resolves again, picks
// the next address round-robin and skips addresses whose last connection attempt failed (for
// badMs), unless every address is marked bad.
import dns from 'node:dns';
import net from 'node:net';

export class HostPicker {
  private readonly bad = new Map<string, number>();
  private next = 0;

  constructor(
    private readonly badMs: number,
    private readonly now: () => number = Date.now,
    /** told of every address marked bad and why (the API logs it) */
    private readonly onBad?: (ip: string, why: string) => void,
  ) {}

  markBad(ip: string, why = 'failed'): void {
    if (this.badMs > 0) this.bad.set(ip, this.now() + this.badMs);
    this.onBad?.(ip, why);
  }
  isBad(ip: string): boolean {
    const until = this.bad.get(ip);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.bad.delete(ip);
      return false;
    }
    return true;
  }

  /** Next address round-robin among the good ones (all of them when none is good). Pure but for the counter. */
  choose(addresses: readonly string[]): string {
    if (addresses.length === 0) throw new Error('no addresses to choose from');
    const sorted = [...addresses].sort();
    const good = sorted.filter((a) => !this.isBad(a));
    const pool = good.length > 0 ? good : sorted;
    const pick = pool[this.next % pool.length]!;
    this.next = (this.next + 1) % 1_000_000;
    return pick;
  }

  /** a `lookup` for net.connect: resolves all IPv4 addresses now, returns the chosen one */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean },
    cb: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
  ): void => {
    dns.lookup(hostname, { all: true, family: 4 }, (err, addrs) => {
      if (err) return cb(err, '', 4);
      let ip: string;
      try {
        ip = this.choose(addrs.map((a) => a.address));
      } catch (e) {
        return cb(Object.assign(e as Error, { code: 'ENOTFOUND' }), '', 4);
      }
      if (options.all) cb(null, [{ address: ip, family: 4 }]);
      else cb(null, ip, 4);
    });
  };

  /** socket factory for mysql2's `stream` option */
  connect(host: string, port: number): net.Socket {
    const sock = net.connect({ host, port, lookup: this.lookup as unknown as net.LookupFunction, autoSelectFamily: false });
    let ip: string | undefined = net.isIP(host) ? host : undefined; // a name: set by 'lookup'
    let connected = false;
    sock.once('lookup', (_err, address) => {
      ip = typeof address === 'string' ? address : undefined;
    });
    sock.once('connect', () => {
      connected = true;
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 10_000);
    });
    sock.once('close', () => {
      // refused, unreachable or connect timeout; or connected but the server never said a word (a
      // MySQL server greets first): a frozen or stopping mysqld accepts TCP and stays silent, and
      // round-robin would keep sending every other new connection there
      if (ip && (!connected || sock.bytesRead === 0)) this.markBad(ip, connected ? 'connected, never greeted' : 'connect failed');
    });
    return sock;
  }
}
