import { readFile } from 'node:fs/promises';

/** `st` of an established connection in /proc/net/tcp(6) (include/net/tcp_states.h). */
const TCP_ESTABLISHED = '01';

/**
 * Connections in ESTABLISHED state whose local port is `port`, from the text
 * of /proc/net/tcp or /proc/net/tcp6. Each line after the header reads
 * `sl local_address rem_address st …` with addresses as hex `IP:PORT`.
 */
export function countEstablished(text: string, port: number): number {
  let count = 0;
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[3] !== TCP_ESTABLISHED || local === undefined) continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (Number.parseInt(hexPort, 16) === port) count += 1;
  }
  return count;
}

/** The kernel's tables of TCP sockets (IPv4, IPv6) on Linux. */
export const PROC_NET_TCP_FILES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;

/**
 * ESTABLISHED connections on local port `port` as the kernel lists them;
 * undefined when none of `files` can be read (not Linux).
 */
export async function establishedOnPort(port: number, files: readonly string[] = PROC_NET_TCP_FILES): Promise<number | undefined> {
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => undefined)));
  const read = texts.filter((t): t is string => t !== undefined);
  return read.length === 0 ? undefined : read.reduce((sum, text) => sum + countEstablished(text, port), 0);
}
