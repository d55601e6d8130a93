// Every ledger write carries a unique token in its title, so rows can be matched on any server
// without trusting ids: gdw-<8 hex run tag>-<seq>.
import crypto from 'node:crypto';

export const TOKEN_RE = /gdw-([0-9a-f]{8})-(\d+)/;

export function newRunTag(): string {
  return crypto.randomBytes(4).toString('hex');
}

export function writeToken(tag: string, seq: number): string {
  return `gdw-${tag}-${seq}`;
}

export function writeTitle(token: string): string {
  return `gameday write ${token}`;
}

/** The token inside a stored title, if it has one. */
export function tokenOf(title: string): string | undefined {
  return TOKEN_RE.exec(title)?.[0];
}

export function tagOf(token: string): string | undefined {
  return TOKEN_RE.exec(token)?.[1];
}
