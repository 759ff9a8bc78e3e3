import { establishedOnPort } from './proc-net-tcp';

/** How many connections are open on the app port, and who said so. */
export interface OpenConnectionCount {
  readonly open: number;
  /** `workers`: the drain preloads counted their sockets; `kernel`: ESTABLISHED sockets in /proc/net/tcp(6). */
  readonly source: 'workers' | 'kernel';
}

/** Asks; undefined when nobody can tell (no preload answer and no /proc). */
export type OpenConnections = () => Promise<OpenConnectionCount | undefined>;

/** What it needs from the supervisor. */
export interface ConnectionSource {
  openConnections(timeoutMs: number): Promise<number | undefined>;
}

/** A worker that takes longer than this to answer counts as "cannot tell" for this look. */
const WORKER_ANSWER_TIMEOUT_MS = 500;

/**
 * The workers know: ask the drain preloads first (they count their own
 * sockets on the app port); with `drainPreload` off, or when a worker does not
 * answer, count the kernel's ESTABLISHED sockets on the port (Linux).
 */
export function openConnectionsOf(workers: ConnectionSource, port: number, kernel: (port: number) => Promise<number | undefined> = establishedOnPort): OpenConnections {
  return async () => {
    const fromWorkers = await workers.openConnections(WORKER_ANSWER_TIMEOUT_MS);
    if (fromWorkers !== undefined) return { open: fromWorkers, source: 'workers' };
    const fromKernel = await kernel(port);
    return fromKernel === undefined ? undefined : { open: fromKernel, source: 'kernel' };
  };
}
