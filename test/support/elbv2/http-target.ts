import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { listenLocal } from './listen-local';

export interface HttpTargetOptions {
  /** Answered in the body and the `x-target` header of every request. */
  readonly name: string;
  /** Path that health checks hit. @default '/health' */
  readonly healthPath?: string;
  /** Status the health check path answers (0: never answers); change it later through `healthStatus`. @default 200 */
  readonly healthStatus?: number;
}

/**
 * A small real app for ELBv2 emulator tests, on 127.0.0.1 and a free port: the health path
 * answers `healthStatus` (or, while it is 0, hangs), every other path answers 200 with the target's name (`/slow?ms=N`
 * waits N ms first), and WebSocket connections get every message echoed back as `name:message`.
 */
export interface HttpTarget {
  readonly name: string;
  readonly port: number;
  healthStatus: number;
  /** The requests seen, health checks excluded, oldest first. */
  readonly hits: Array<{ readonly url: string; readonly headers: IncomingHttpHeaders }>;
  /** How many health checks were answered. */
  readonly healthChecks: () => number;
  /** Open TCP connections (HTTP and WebSocket). */
  openConnections(): number;
  /** Open WebSocket connections. */
  webSockets(): number;
  /** Closes every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startHttpTarget(options: HttpTargetOptions): Promise<HttpTarget> {
  const healthPath = options.healthPath ?? '/health';
  const sockets = new Set<Socket>();
  const hits: HttpTarget['hits'] = [];
  const timers = new Set<NodeJS.Timeout>();
  let healthChecks = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (url === healthPath) {
      healthChecks += 1;
      if (target.healthStatus !== 0) res.writeHead(target.healthStatus).end();
      return;
    }
    hits.push({ url, headers: req.headers });
    const waitMs = url.startsWith('/slow?ms=') ? Number(url.slice('/slow?ms='.length)) : 0;
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-target': options.name }).end(options.name);
    }, waitMs);
    timers.add(timer);
  };

  const server = createServer(handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => ws.send(`${options.name}:${String(data)}`));
  });
  const port = await listenLocal(server);

  let closed: Promise<void> | undefined;
  const target: HttpTarget = {
    name: options.name,
    port,
    healthStatus: options.healthStatus ?? 200,
    hits,
    healthChecks: () => healthChecks,
    openConnections: () => sockets.size,
    webSockets: () => wss.clients.size,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
  return target;
}
