/**
 * The IPC words between the supervisor and its workers. Apps only ever see
 * the first two (the same words pm2 uses); the `deployctl:*` ones go to the
 * drain preload (drain-preload.js spells them the same way).
 */
export const READY = 'ready';
export const SHUTDOWN = 'shutdown';

/**
 * Supervisor → preload, over the control pipe: the roll is over; close held
 * WebSockets with 1012, spread over `windowMs`. The preload passes it on to
 * the app's websocket-drain helper as the process event `deployctl:close-websockets`.
 */
export interface CloseWebSocketsMessage {
  readonly deployctl: 'close-websockets';
  readonly windowMs: number;
}

/** Preload → supervisor: the app threw; the worker is draining and will exit 1. */
export interface CrashedMessage {
  readonly deployctl: 'crashed';
  readonly error: string;
}

export const CLOSE_WEBSOCKETS_EVENT = 'deployctl:close-websockets';

export type WorkerMessage = typeof READY | CrashedMessage;

export function closeWebSockets(windowMs: number): CloseWebSocketsMessage {
  return { deployctl: 'close-websockets', windowMs };
}

/** The routing key of a message from a worker, or undefined for the app's own messages. */
export function messageKey(message: unknown): 'ready' | 'crashed' | undefined {
  if (message === READY) return 'ready';
  if (typeof message === 'object' && message !== null && (message as { deployctl?: unknown }).deployctl === 'crashed') {
    return 'crashed';
  }
  return undefined;
}

export function crashedError(message: unknown): string {
  const error = typeof message === 'object' && message !== null ? (message as { error?: unknown }).error : undefined;
  return typeof error === 'string' ? error : 'unknown error';
}
