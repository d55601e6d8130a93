// Read-your-writes as a user sees it: after a create is acknowledged (by the primary), poll the list
// (served by a replica) until the item shows up. Bounded in time, so a broken replica costs at most
// `timeoutMs` per write and is counted as "not visible" instead of hanging the VU.
import { sleep } from 'k6';
import type { TodoClient, TodoStatus } from './client.ts';
import { readYourWritesMs, readYourWritesVisible } from './metrics.ts';

export interface RywBounds {
  timeoutMs: number;
  pollMs: number;
}

/**
 * ms from `since` until a list response containing `id` arrived, or null after `timeoutMs`.
 * The first poll is immediate, so a value includes at least one list round trip.
 */
export function waitUntilListed(client: TodoClient, id: number, status: TodoStatus, bounds: RywBounds, since = Date.now()): number | null {
  const deadline = since + bounds.timeoutMs;
  for (;;) {
    const { items } = client.list(status, 'api-ryw-poll');
    const now = Date.now();
    if (items?.some((i) => i.id === id)) return now - since;
    if (now + bounds.pollMs > deadline) return null;
    sleep(bounds.pollMs / 1000);
  }
}

/** Measures and records one read-your-writes sample; returns the ms or null. */
export function measureReadYourWrites(client: TodoClient, id: number, status: TodoStatus, bounds: RywBounds, since?: number): number | null {
  const ms = waitUntilListed(client, id, status, bounds, since);
  readYourWritesVisible.add(ms !== null);
  if (ms !== null) readYourWritesMs.add(ms);
  return ms;
}
