/**
 * The IPC words of sticky scheduling between the primary (sticky-router.ts)
 * and the worker preload (sticky-preload.js spells them the same way).
 */

/** Primary → worker, with the client socket as the IPC handle: serve this connection. */
export interface StickyConnectionMessage {
  readonly deployctl: 'sticky-connection';
  /** Base64 of the bytes the primary read (the first request head). */
  readonly head: string;
  /** The routing key assigned to this worker with it (sticky.by: x-forwarded-for). */
  readonly key?: string;
  /** False for the router's own forwards: serve every request on it, forward none. @default true */
  readonly routable?: boolean;
}

/** Primary → worker: this routing key is now yours (requests for it are served, not forwarded). */
export interface StickyOwnMessage {
  readonly deployctl: 'sticky-own';
  readonly key: string;
}

/** Primary → worker: the claim `seq` is recorded; the handshake answer may go out. */
export interface StickyClaimedMessage {
  readonly deployctl: 'sticky-claimed';
  readonly seq: number;
}

/** Worker → primary: the app's server listens (on `path`, the worker's private socket). */
export interface StickyListeningMessage {
  readonly deployctl: 'sticky-listening';
  readonly path: string;
}

/** Worker → primary: I created session `key`; answer with StickyClaimedMessage `seq`. */
export interface StickyClaimMessage {
  readonly deployctl: 'sticky-claim';
  readonly key: string;
  readonly seq: number;
}

/** Worker → primary: so many handed-over connections have closed so far (least-connections). */
export interface StickyLoadMessage {
  readonly deployctl: 'sticky-load';
  readonly closed: number;
}

export type StickyWorkerMessage = StickyListeningMessage | StickyClaimMessage | StickyLoadMessage;

/** The header a worker's forward carries its routing key in (the router strips it). */
export const STICKY_KEY_HEADER = 'x-deployctl-sticky-key';

/** Narrows a worker's IPC message to a sticky one; undefined for anything else. */
export function stickyWorkerMessage(message: unknown): StickyWorkerMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { deployctl?: unknown; path?: unknown; key?: unknown; seq?: unknown; closed?: unknown };
  if (m.deployctl === 'sticky-listening' && typeof m.path === 'string') return { deployctl: m.deployctl, path: m.path };
  if (m.deployctl === 'sticky-claim' && typeof m.key === 'string' && Number.isInteger(m.seq)) return { deployctl: m.deployctl, key: m.key, seq: m.seq as number };
  if (m.deployctl === 'sticky-load' && Number.isInteger(m.closed)) return { deployctl: m.deployctl, closed: m.closed as number };
  return undefined;
}
