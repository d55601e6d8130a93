// Pure: the Jepsen-style lost-write check. lost = acknowledged ids not present (with their token);
// unexpected = tokens of this run present on a server but never attempted. Valid only if both
// are empty on every server.
import type { LostWriteResult, WriteRecord } from '../../scripts/lib/run-folder.ts';
import { tagOf, tokenOf } from './write-token.ts';

export interface ServerRows {
  server: string;
  rows: { id: number; title: string }[];
}

/** The run tags of a ledger (normally one). */
export function ledgerTags(writes: WriteRecord[]): string[] {
  return [...new Set(writes.map((w) => tagOf(w.token)).filter((t): t is string => !!t))];
}

export function diffWrites(writes: WriteRecord[], servers: ServerRows[], checkedAt = new Date()): LostWriteResult {
  const tags = new Set(ledgerTags(writes));
  const attempted = new Set(writes.map((w) => w.token));
  const acked = writes.filter((w) => w.acknowledged && w.id !== undefined);
  const lost = new Set<number>();
  const unexpected = new Set<string>();
  const duplicated = new Set<string>();
  const perServer = servers.map(({ server, rows }) => {
    const idToken = new Map<number, string | undefined>();
    const tokenCount = new Map<string, number>();
    for (const r of rows) {
      const token = tokenOf(r.title);
      idToken.set(r.id, token);
      if (!token) continue;
      tokenCount.set(token, (tokenCount.get(token) ?? 0) + 1);
    }
    // an id that exists but holds another row is not our write: it is lost too
    const srvLost = acked.filter((w) => idToken.get(w.id!) !== w.token).map((w) => w.id!);
    const srvUnexpected = [...tokenCount.keys()].filter((t) => tags.has(tagOf(t) ?? '') && !attempted.has(t));
    for (const [t, n] of tokenCount) if (n > 1 && tags.has(tagOf(t) ?? '')) duplicated.add(t);
    srvLost.forEach((id) => lost.add(id));
    srvUnexpected.forEach((t) => unexpected.add(t));
    const present = [...tokenCount.keys()].filter((t) => tags.has(tagOf(t) ?? '')).length;
    return { server, present, lost: srvLost.sort((a, b) => a - b), unexpected: srvUnexpected.sort() };
  });
  return {
    checkedAt: checkedAt.toISOString(),
    attempted: attempted.size,
    acknowledged: acked.length,
    perServer,
    lost: [...lost].sort((a, b) => a - b),
    unexpected: [...unexpected].sort(),
    ok: lost.size === 0 && unexpected.size === 0 && servers.length > 0,
    duplicated: [...duplicated].sort(),
  };
}
