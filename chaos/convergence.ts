// Watches services once a second during an experiment: the record from which recovery times are
// computed (time from the first injection until a service is back at desired replicas for good).
import type Dockerode from 'dockerode';
import { servicesState } from './swarm.ts';

export interface ServiceSample {
  t: number;
  service: string;
  ok: boolean;
  running: number;
  desired: number;
}

export interface Watcher {
  stop(): Promise<ServiceSample[]>;
  latest(): ServiceSample[];
}

export type StateReader = (services: string[]) => Promise<{ service: string; ok: boolean; running: number; desired: number }[]>;

export function swarmStateReader(swarm: Dockerode): StateReader {
  return (services) => servicesState(swarm, services);
}

export function startWatcher(read: StateReader, services: string[], intervalMs = 1000, now: () => number = Date.now): Watcher {
  const samples: ServiceSample[] = [];
  let latest: ServiceSample[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        const t = now();
        latest = (await read(services)).map((s) => ({ t, service: s.service, ok: s.ok, running: s.running, desired: s.desired }));
        samples.push(...latest);
      } catch {
        // a manager that does not answer for a moment is itself part of the experiment
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalMs);
      });
    }
  })();
  return {
    latest: () => latest,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      return samples;
    },
  };
}

/**
 * Per service: ms from t0 until the end of its last degraded stretch (0 if never seen degraded;
 * null if still degraded at the last sample).
 */
export function recoveryTimes(samples: ServiceSample[], services: string[], t0: number): { service: string; backAtDesiredMs: number | null }[] {
  return services.map((service) => {
    const list = samples.filter((s) => s.service === service && s.t >= t0).sort((a, b) => a.t - b.t);
    let lastBad = -1;
    list.forEach((s, i) => {
      if (!s.ok) lastBad = i;
    });
    if (lastBad === -1) return { service, backAtDesiredMs: 0 };
    const next = list[lastBad + 1];
    return { service, backAtDesiredMs: next ? next.t - t0 : null };
  });
}
