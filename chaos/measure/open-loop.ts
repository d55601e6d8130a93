// Open-loop scheduler: request n is due at start + n/rate, whatever happened to earlier requests.
// It never awaits a response before sending the next one; only a bounded number of requests may
// be in flight (a tick that finds the bound reached is counted as dropped, like k6's
// dropped_iterations, and reported rather than silently delayed). Bounded in count and time.
import { realClock, type Clock } from './clock.ts';

/** What every open-loop measurement through the ingress takes (the probe, the write ledger). */
export interface IngressLoopOptions {
  ingressUrl: URL;
  ratePerSec: number;
  timeoutMs: number;
  maxDurationMs: number;
  signal: AbortSignal;
  /** the fault active now, stamped on every sample */
  fault: () => string | undefined;
  clock?: Clock;
}

/** Enough slots for every request of one timeout window, so drops mean a stalled client, not a slow server. */
export function inFlightBound(ratePerSec: number, timeoutMs: number): number {
  return Math.ceil((ratePerSec * timeoutMs) / 1000) + 2;
}

export interface OpenLoopOptions {
  ratePerSec: number;
  maxInFlight: number;
  maxRequests: number;
  maxDurationMs: number;
  signal: AbortSignal;
  /** shifts the schedule, so several loops at the same rate interleave instead of bursting together */
  offsetMs?: number;
  clock?: Clock;
}

export interface OpenLoopResult {
  scheduled: number;
  sent: number;
  dropped: number;
}

export async function runOpenLoop(
  opts: OpenLoopOptions,
  fire: (seq: number, dueAt: number) => Promise<void>,
  onDropped?: (seq: number, dueAt: number) => void,
): Promise<OpenLoopResult> {
  if (!(opts.ratePerSec > 0)) throw new RangeError(`ratePerSec: expected > 0, got ${opts.ratePerSec}`);
  if (!(opts.maxInFlight >= 1)) throw new RangeError(`maxInFlight: expected >= 1, got ${opts.maxInFlight}`);
  const clock = opts.clock ?? realClock;
  const periodMs = 1000 / opts.ratePerSec;
  const start = clock.now() + (opts.offsetMs ?? 0);
  const inFlight = new Set<Promise<void>>();
  const result: OpenLoopResult = { scheduled: 0, sent: 0, dropped: 0 };

  for (let seq = 0; seq < opts.maxRequests; seq++) {
    const dueAt = start + seq * periodMs;
    if (dueAt - start >= opts.maxDurationMs) break;
    const wait = dueAt - clock.now();
    if (wait > 0) await clock.sleep(wait, opts.signal);
    if (opts.signal.aborted) break;
    result.scheduled++;
    if (inFlight.size >= opts.maxInFlight) {
      result.dropped++;
      onDropped?.(seq, dueAt);
      continue;
    }
    result.sent++;
    const p: Promise<void> = fire(seq, dueAt)
      .catch(() => undefined) // fire records its own failures; a throw must not stop the schedule
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all([...inFlight]);
  return result;
}
