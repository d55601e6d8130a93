// A clock seam: the probe and writer schedule on it, so unit tests can drive virtual time and show
// that sending is open-loop (a slow server does not slow the schedule).

export interface Clock {
  now(): number;
  /** Resolves after ms (or early when signal aborts; never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};
