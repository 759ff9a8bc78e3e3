import type { IncomingMessage, Server } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { CLOSE_WEBSOCKETS_EVENT, DRAIN_WEBSOCKETS_EVENT } from '../cluster/messages';

/**
 * For apps with long-lived WebSocket connections (`ws`): on 'shutdown', stop
 * accepting, then close every socket with 1012 (service restart), spread
 * evenly over a window so clients do not all reconnect at once, and let the
 * worker exit.
 *
 *   const { drainWebSocketsOnShutdown } = require('deployctl/websocket-drain');
 *   drainWebSocketsOnShutdown(wss, { servers: [server] });
 *
 * Under deploy-agent the sockets are held until the roll is over (the agent
 * says when), so each client reconnects once, onto a worker that stays. When
 * the agent takes the instance out of the load balancer (service-out), the
 * sockets are closed the same way while the server keeps accepting: the
 * clients reconnect through the load balancer to other instances.
 */
export interface WebSocketDrainOptions {
  /** HTTP servers to stop accepting on shutdown. @default [] */
  readonly servers?: readonly Server[];
  /** Closes are spread evenly over this window, 0-600000 ms. @default DEPLOYCTL_WS_CLOSE_WINDOW_MS, else 2000 */
  readonly windowMs?: number;
  /** Close code sent to clients. @default 1012 */
  readonly code?: number;
  /** Close reason sent to clients. @default 'service restart' */
  readonly reason?: string;
  /** A socket that has not finished its closing handshake by then is terminated. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** Wait for the agent's word (end of the roll) before closing. @default true under deploy-agent's drain preload */
  readonly holdUntilReleased?: boolean;
}

export interface WebSocketDrain {
  /** Stops accepting and closes every socket over `windowMs`; resolves when all are closed. */
  shutdown(windowMs?: number): Promise<void>;
}

/** Marks a socket as closed by this helper, so the drain preload leaves it alone. */
const WS_MANAGED = Symbol.for('deployctl.websocketManaged');

export function drainWebSocketsOnShutdown(wss: WebSocketServer, options: WebSocketDrainOptions = {}): WebSocketDrain {
  const defaultWindowMs = options.windowMs ?? envMs('DEPLOYCTL_WS_CLOSE_WINDOW_MS', 2000);
  const hold = options.holdUntilReleased ?? process.env.DEPLOYCTL_HOLD_WEBSOCKETS === '1';
  let closing: Promise<void> | undefined;

  wss.on('connection', (_ws: WebSocket, req: IncomingMessage) => {
    (req.socket as unknown as Record<symbol, unknown>)[WS_MANAGED] = true;
  });

  const stopAccepting = (): void => {
    for (const server of options.servers ?? []) if (server.listening) server.close();
  };

  const shutdown = (windowMs = defaultWindowMs): Promise<void> => {
    stopAccepting();
    closing ??= closeSpread([...wss.clients], windowMs, options).then(() => wss.close());
    return closing;
  };

  process.on('message', (message: unknown) => {
    if (message !== 'shutdown') return;
    if (hold) stopAccepting();
    else void shutdown();
  });
  // The drain preload's word that the roll is over (see drain-preload.js).
  process.on(CLOSE_WEBSOCKETS_EVENT as 'message', (windowMs: unknown) => {
    void shutdown(typeof windowMs === 'number' ? windowMs : defaultWindowMs);
  });
  // The instance leaves the load balancer: close what is open, keep accepting.
  process.on(DRAIN_WEBSOCKETS_EVENT as 'message', (windowMs: unknown) => {
    if (!closing) void closeSpread([...wss.clients], typeof windowMs === 'number' ? windowMs : defaultWindowMs, options);
  });

  return { shutdown };
}

function closeSpread(clients: WebSocket[], windowMs: number, options: WebSocketDrainOptions): Promise<void> {
  const stepMs = clients.length > 0 ? windowMs / clients.length : 0;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
  return Promise.all(
    clients.map(
      (ws, i) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once('close', () => resolve());
          setTimeout(() => {
            ws.close(options.code ?? 1012, options.reason ?? 'service restart');
            setTimeout(() => ws.terminate(), closeTimeoutMs).unref();
          }, Math.round(i * stepMs));
        }),
    ),
  ).then(() => undefined);
}

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}
