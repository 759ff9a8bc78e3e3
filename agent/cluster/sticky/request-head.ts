/** What the primary needs from the first request on a connection to route it. */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  /** Lower-cased header names; the first value of each. */
  readonly headers: ReadonlyMap<string, string>;
}

const END = Buffer.from('\r\n\r\n');

/**
 * Where the head ends in `bytes` (the index past the blank line), -1 while it
 * is incomplete, or 0 when the bytes cannot be an HTTP/1 request line (TLS,
 * anything binary): such a connection is handed over as it is.
 */
export function headEnd(bytes: Buffer): number {
  const first = bytes[0];
  if (first !== undefined && !(first >= 0x41 && first <= 0x5a)) return 0; // methods are upper-case letters
  const at = bytes.indexOf(END);
  return at < 0 ? -1 : at + END.length;
}

/** Parses a complete head (request line + header lines); undefined when it is not HTTP/1. */
export function parseRequestHead(head: Buffer): RequestHead | undefined {
  const lines = head.toString('latin1').split('\r\n');
  const [method, url, version] = (lines[0] ?? '').split(' ');
  if (!method || !url || !version?.startsWith('HTTP/1.')) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { method, url, headers };
}
