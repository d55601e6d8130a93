// Docker's container/service log stream as text. Pure.

/**
 * The text of a non-TTY log as the Docker API sends it: frames of an 8-byte header (stream 0/1/2,
 * three zero bytes, big-endian length) and the payload. Text that is not framed (a TTY log, a
 * proxy that already demuxed) is returned as it is.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i]!;
    if (kind > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return buf.toString('utf8');
    const len = buf.readUInt32BE(i + 4);
    if (i + 8 + len > buf.length) return buf.toString('utf8');
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  if (i !== buf.length) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}
