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

/**
 * Supervisor → preload, over the control pipe: the instance is leaving the
 * load balancer (service-out). Responses get `Connection: close`, idle
 * keep-alive sockets are closed after the idle grace, WebSockets are closed
 * with 1012 over `windowMs` (the clients reconnect through the load balancer
 * to other instances), and the server keeps listening. The preload passes the
 * WebSocket part on to the app's websocket-drain helper as the process event
 * `deployctl:drain-websockets`.
 */
export interface ServiceDrainMessage {
  readonly deployctl: 'service-drain';
  readonly windowMs: number;
}

/** Supervisor → preload: back in service (a service-out deploy failed before these workers were replaced). */
export interface ServiceResumeMessage {
  readonly deployctl: 'service-resume';
}

/** Supervisor → preload: how many connections are open on the app port? The answer is a ConnectionsMessage. */
export interface CountConnectionsMessage {
  readonly deployctl: 'count-connections';
  readonly id: number;
}

/** Preload → supervisor, over IPC: the answer to CountConnectionsMessage `id`. */
export interface ConnectionsMessage {
  readonly deployctl: 'connections';
  readonly id: number;
  readonly open: number;
}

export const DRAIN_WEBSOCKETS_EVENT = 'deployctl:drain-websockets';

export type WorkerMessage = typeof READY | CrashedMessage | ConnectionsMessage;

export function closeWebSockets(windowMs: number): CloseWebSocketsMessage {
  return { deployctl: 'close-websockets', windowMs };
}

export function serviceDrain(windowMs: number): ServiceDrainMessage {
  return { deployctl: 'service-drain', windowMs };
}

export function serviceResume(): ServiceResumeMessage {
  return { deployctl: 'service-resume' };
}

export function countConnections(id: number): CountConnectionsMessage {
  return { deployctl: 'count-connections', id };
}

/** The routing key of a message from a worker, or undefined for the app's own messages. */
export function messageKey(message: unknown): 'ready' | 'crashed' | 'connections' | undefined {
  if (message === READY) return 'ready';
  if (typeof message !== 'object' || message === null) return undefined;
  const word = (message as { deployctl?: unknown }).deployctl;
  if (word === 'crashed') return 'crashed';
  if (word === 'connections') return 'connections';
  return undefined;
}

/** The id and count of a ConnectionsMessage; undefined when it is malformed. */
export function connectionsAnswer(message: unknown): { id: number; open: number } | undefined {
  const { id, open } = message as { id?: unknown; open?: unknown };
  return Number.isInteger(id) && Number.isInteger(open) && (open as number) >= 0 ? { id: id as number, open: open as number } : undefined;
}

export function crashedError(message: unknown): string {
  const error = typeof message === 'object' && message !== null ? (message as { error?: unknown }).error : undefined;
  return typeof error === 'string' ? error : 'unknown error';
}
