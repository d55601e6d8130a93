// A counting semaphore in front of a connection pool, whose waiters can give up.
//
// mysql2's own queue keeps a caller that stopped waiting (our acquire timeout) until a connection
// comes free, and counts it against queueLimit. After a stall (node-pause, issue 11) that queue
// was full of callers long gone, every new request got "Queue limit reached", and work went to
// requests nginx had already given up on. Here a waiter that times out leaves the queue at once,
// so the queue holds only live demand and a freed slot goes to someone still waiting.

export type GateErrorCode = 'ACQUIRE_TIMEOUT' | 'QUEUE_FULL';

export class GateError extends Error {
  constructor(
    readonly code: GateErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  grant(): void;
  timer: NodeJS.Timeout;
}

export class Gate {
  private inUse = 0;
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly limit: number,
    readonly maxWaiters: number,
  ) {}

  get busy(): number {
    return this.inUse;
  }
  get waiting(): number {
    return this.waiters.size;
  }

  /** Takes a slot, waiting at most timeoutMs; first come, first served. */
  enter(timeoutMs: number): Promise<void> {
    if (this.inUse < this.limit && this.waiters.size === 0) {
      this.inUse++;
      return Promise.resolve();
    }
    if (timeoutMs <= 0) return Promise.reject(new GateError('ACQUIRE_TIMEOUT', 'no database connection free and no time left to wait'));
    if (this.waiters.size >= this.maxWaiters) return Promise.reject(new GateError('QUEUE_FULL', `${this.maxWaiters} requests already wait for a database connection`));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        grant: () => {
          clearTimeout(w.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new GateError('ACQUIRE_TIMEOUT', `no database connection within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Gives a slot back: to the longest waiter still waiting, else to the pool of free slots. */
  leave(): void {
    const next = this.waiters.values().next();
    if (!next.done) {
      this.waiters.delete(next.value);
      next.value.grant(); // the slot passes over; inUse stays
      return;
    }
    if (this.inUse > 0) this.inUse--;
  }
}
