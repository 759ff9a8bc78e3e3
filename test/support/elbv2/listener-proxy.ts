import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectionBook } from './connection-book';
import { listenLocal } from './listen-local';
import { endToEnd, forwardedHeaders } from './proxy-headers';
import type { RegisteredTarget } from './registered-target';
import type { TargetGroup } from './target-group';
import { eligibleTargets, RoundRobin } from './target-picker';
import { proxyUpgrade, refuseUpgrade } from './websocket-proxy';

/** A client connection's upstream: one target, over one connection of its own. */
interface Pin {
  readonly target: RegisteredTarget;
  readonly agent: Agent;
  readonly forget: () => void;
}

/**
 * The load balancer's HTTP listener: a reverse proxy on 127.0.0.1 that forwards each request, and
 * each WebSocket upgrade, to a target of the group it forwards to, chosen round robin among
 * `eligibleTargets`. A client connection stays pinned to its target (over one upstream connection
 * of its own) while that target stays eligible; its next request after that goes to a new one.
 * `cut(target)` closes the client connections pinned to a target and its WebSocket tunnels.
 */
export class ListenerProxy {
  private readonly server = createServer((req, res) => this.onRequest(req, res));
  private readonly pins = new Map<Socket, Pin>();
  private readonly book = new ConnectionBook();
  private readonly roundRobin = new RoundRobin();
  private port = 0;

  constructor(private readonly forwardedGroup: () => TargetGroup | undefined) {
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
  }

  async start(): Promise<number> {
    this.port = await listenLocal(this.server);
    return this.port;
  }

  /** Open client connections and tunnels to `target`. */
  connectionsTo(target: RegisteredTarget): number {
    return this.book.count(target);
  }

  cut(target: RegisteredTarget): void {
    this.book.cut(target);
  }

  /** Stops listening and cuts every connection. Idempotent. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.book.cutAll();
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private route(socket: Socket): Pin | undefined {
    const eligible = eligibleTargets(this.forwardedGroup());
    const pinned = this.pins.get(socket);
    if (pinned && eligible.includes(pinned.target)) return pinned;
    if (pinned) this.unpin(socket, pinned);
    const target = this.roundRobin.pick(eligible);
    if (!target) return undefined;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const forget = this.book.add(target, () => {
      agent.destroy();
      socket.destroy();
    });
    if (!pinned) socket.once('close', () => this.unpin(socket, this.pins.get(socket)));
    const pin: Pin = { target, agent, forget };
    this.pins.set(socket, pin);
    return pin;
  }

  private unpin(socket: Socket, pin: Pin | undefined): void {
    if (!pin) return;
    pin.forget();
    pin.agent.destroy();
    if (this.pins.get(socket) === pin) this.pins.delete(socket);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const pin = this.route(req.socket);
    if (!pin) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('503 Service Temporarily Unavailable\n');
      return;
    }
    const upstream = request({
      host: '127.0.0.1',
      port: pin.target.port,
      method: req.method,
      path: req.url,
      headers: { ...endToEnd(req.headers), ...forwardedHeaders(req, this.port) },
      agent: pin.agent,
    });
    upstream.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEnd(upstreamRes.headers));
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('502 Bad Gateway\n');
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = this.roundRobin.pick(eligibleTargets(this.forwardedGroup()));
    if (!target) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    proxyUpgrade(req, socket, head, target, this.port, this.book);
  }
}
