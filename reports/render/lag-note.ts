// Pure: one phrase saying how the replication-lag figures of a run were measured (issue 12).
/** How the lag figures were measured (issue 12): one line for the report, '' for runs before it. */
export function lagMethodNote(replicas: readonly { method?: string }[]): string {
  const m = new Set(replicas.map((r) => r.method).filter(Boolean));
  if (!m.size) return '';
  if (m.size === 1 && m.has('visibility')) return ' (measured as heartbeat write to visible on the replica, on one clock: ~1 ms resolution)';
  if (m.size === 1 && m.has('heartbeat-age')) return ' (measured as heartbeat age: 100 ms resolution)';
  return ' (visibility probe, ~1 ms resolution, with heartbeat-age samples at 100 ms resolution while it did not answer)';
}
