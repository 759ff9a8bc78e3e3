import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeployError, describeError } from '../../errors';
import { proxyRequest } from './forward-proxy';
import { readFirstHead } from './head-reader';
import { OwnerTable } from './owner-table';
import { WorkerAgent } from './worker-agent';
import { routingKey, type StickyBy } from './routing-key';
import { STICKY_KEY_HEADER, stickyWorkerMessage, type StickyConnectionMessage } from './sticky-messages';
import type { WorkerChannel } from './worker-channel';

/** A worker as the router sees it (from the supervisor). */
export interface StickyCandidate {
  /** Cluster worker id (WorkerProcess.id). */
  readonly id: number;
  readonly version: string;
  readonly startedAt: number;
  /** Ready and not retiring: it may take new clients. */
  readonly serving: boolean;
}

export interface StickyRouterOptions {
  readonly port: number;
  readonly by: StickyBy;
  /** The supervisor's workers, asked on every routing decision. */
  readonly workers: () => readonly StickyCandidate[];
  readonly channel: WorkerChannel;
  /** @default 16384 */
  readonly maxHeadBytes?: number;
  /** @default 10000 */
  readonly headTimeoutMs?: number;
  /** A connection waits this long for a ready worker before it is closed. @default 30000 */
  readonly waitTimeoutMs?: number;
  /** @default 1_000_000 */
  readonly maxKeys?: number;
  readonly onError?: (message: string) => void;
}

/** What the router has done since it started. */
export interface StickyStats {
  /** Client connections handed to a worker. */
  readonly connections: number;
  /** Requests workers forwarded back (a session of another worker on their keep-alive connection). */
  readonly forwarded: number;
  /** Sessions (or client addresses) workers claimed. */
  readonly claims: number;
  /** Keys with a known owner now. */
  readonly ownedKeys: number;
  /** Requests with a sid whose owner is gone or unknown (they get engine.io's `Session ID unknown`). */
  readonly orphanSids: number;
}

interface Seat {
  /** The app's server in the worker listens (on its private socket): it can take connections. */
  listening: boolean;
  handed: number;
  closed: number;
  /** Forwards reach the worker through the pair socket (worker-agent.ts). */
  agent: http.Agent;
}

interface Waiting {
  readonly socket: Socket;
  readonly bytes: Buffer;
  readonly key: string | undefined;
  readonly since: number;
}

/**
 * The primary side of `app.schedulingPolicy: "sticky"` (docs/design.md §9):
 * owns the app port, reads each connection's first request head, and hands
 * the connection to a worker over IPC. A request with an engine.io sid goes
 * to the worker that claimed it; one without goes to the least-loaded ready
 * worker of the newest release. Workers forward requests for sessions they do
 * not own (keep-alive connections shared by clients) to `router.sock`, which
 * proxies them to the owner.
 */
export class StickyRouter {
  /** Per-agent directory of the router socket and the workers' private sockets. */
  readonly dir: string;
  private readonly seats = new Map<number, Seat>();
  private readonly owners: OwnerTable;
  private readonly waiting: Waiting[] = [];
  /** Accepted connections whose first head is still being read (the router holds them). */
  private readonly reading = new Set<Socket>();
  private waitTimer: NodeJS.Timeout | undefined;
  private server: net.Server | undefined;
  private proxy: http.Server | undefined;
  private pair: net.Server | undefined;
  private stopped = false;
  private counts = { connections: 0, forwarded: 0, claims: 0, orphanSids: 0 };

  constructor(private readonly options: StickyRouterOptions) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'deployctl-sticky-'));
    // Workers may run as another user: they must reach router.sock (the app port is open to them anyway).
    chmodSync(this.dir, 0o711);
    this.owners = new OwnerTable(options.maxKeys ?? 1_000_000);
    options.channel.onMessage((id, message) => this.onWorkerMessage(id, message));
    options.channel.onExit((id) => this.onWorkerExit(id));
  }

  get routerSocket(): string {
    return path.join(this.dir, 'router.sock');
  }

  /** Where the router's own forwards connect to reach a given worker (worker-agent.ts). */
  get pairSocket(): string {
    return path.join(this.dir, 'pair.sock');
  }

  /** Listens on the app port and on router.sock. */
  async start(): Promise<void> {
    const proxy = http.createServer((req, res) => this.onForward(req, res));
    // Workers keep their forwarding connections; an idle one must not be closed as a worker reuses it.
    proxy.keepAliveTimeout = 600_000;
    this.proxy = proxy;
    await listen(proxy, { path: this.routerSocket }, 'the sticky router socket');
    chmodSync(this.routerSocket, 0o666);
    const pair = net.createServer({ pauseOnConnect: true }, (socket) => this.onPairConnection(socket));
    this.pair = pair;
    await listen(pair, { path: this.pairSocket }, 'the sticky pair socket');
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.onConnection(socket));
    this.server = server;
    await listen(server, { port: this.options.port }, `app port ${this.options.port}`);
  }

  /** Stops listening and lets go of everything it holds. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.waitTimer);
    for (const w of this.waiting.splice(0)) w.socket.destroy();
    for (const socket of this.reading) socket.destroy();
    this.reading.clear();
    // Not waiting for the app port's 'close': node counts the sockets handed to
    // workers until it hears from them, and never does from workers that have exited.
    // Closing the handle is what frees the port.
    this.server?.close();
    this.pair?.close();
    const proxy = this.proxy;
    const proxyClosed = proxy?.listening ? new Promise<void>((resolve) => proxy.close(() => resolve())) : Promise.resolve();
    proxy?.closeAllConnections();
    for (const seat of this.seats.values()) seat.agent.destroy();
    this.options.channel.close();
    await proxyClosed;
    rmSync(this.dir, { recursive: true, force: true });
  }

  stats(): StickyStats {
    return { ...this.counts, ownedKeys: this.owners.size };
  }

  private onConnection(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.stopped) return void socket.destroy();
    this.reading.add(socket);
    socket.once('close', () => this.reading.delete(socket));
    const options = { maxHeadBytes: this.options.maxHeadBytes ?? 16_384, headTimeoutMs: this.options.headTimeoutMs ?? 10_000 };
    readFirstHead(socket, options, ({ bytes, head }) => {
      this.reading.delete(socket);
      this.handOff(socket, bytes, routingKey(this.options.by, head, socket.remoteAddress), Date.now());
    });
  }

  private handOff(socket: Socket, bytes: Buffer, key: string | undefined, since: number): void {
    if (socket.destroyed) return;
    const id = this.route(key);
    if (id === undefined) {
      this.wait({ socket, bytes, key, since });
      return;
    }
    this.counts.connections += 1;
    this.send(id, socket, bytes, { ...(this.options.by === 'x-forwarded-for' && key !== undefined ? { key } : {}) });
  }

  private send(id: number, socket: Socket, bytes: Buffer, extra: Pick<StickyConnectionMessage, 'key' | 'routable'>): void {
    const seat = this.seats.get(id);
    const message: StickyConnectionMessage = { deployctl: 'sticky-connection', head: bytes.toString('base64'), ...extra };
    if (seat && this.options.channel.send(id, message, socket)) seat.handed += 1;
    else socket.destroy();
  }

  /** One of the router's own forwards (worker-agent.ts): `<worker id>\n`, then HTTP for that worker. */
  private onPairConnection(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    readPreamble(socket, (id, rest) => {
      if (id === undefined || !this.options.channel.connected(id)) socket.destroy();
      else this.send(id, socket, rest, { routable: false });
    });
  }

  /**
   * The worker for a request: the owner of its key while that worker can be
   * reached (with `by: x-forwarded-for`, while it also still serves), else the
   * least-loaded ready worker of the newest release, which then owns the
   * address key. Undefined when no worker can take it yet.
   */
  private route(key: string | undefined): number | undefined {
    if (key !== undefined) {
      const owner = this.owners.get(key);
      if (owner !== undefined && this.reachable(owner) && (this.options.by === 'sid' || this.isServing(owner))) return owner;
      if (this.options.by === 'sid') this.counts.orphanSids += 1;
    }
    const id = this.leastLoaded();
    if (id !== undefined && key !== undefined && this.options.by === 'x-forwarded-for') {
      this.owners.set(key, id);
      this.options.channel.send(id, { deployctl: 'sticky-own', key });
    }
    return id;
  }

  private reachable(id: number): boolean {
    return this.seats.get(id)?.listening === true && this.options.channel.connected(id);
  }

  private isServing(id: number): boolean {
    return this.options.workers().some((w) => w.id === id && w.serving);
  }

  private leastLoaded(): number | undefined {
    const ready = this.options.workers().filter((w) => w.serving && this.reachable(w.id));
    if (ready.length === 0) return undefined;
    const newest = ready.reduce((a, b) => (b.startedAt > a.startedAt ? b : a));
    let best: number | undefined;
    let bestLoad = Infinity;
    for (const w of ready) {
      if (w.version !== newest.version) continue;
      const seat = this.seats.get(w.id) as Seat;
      const load = seat.handed - seat.closed;
      if (load < bestLoad) {
        best = w.id;
        bestLoad = load;
      }
    }
    return best;
  }

  private wait(entry: Waiting): void {
    this.waiting.push(entry);
    this.waitTimer ??= setInterval(() => this.retryWaiting(), 50);
  }

  private retryWaiting(): void {
    const waitTimeoutMs = this.options.waitTimeoutMs ?? 30_000;
    const now = Date.now();
    for (const w of this.waiting.splice(0)) {
      if (now - w.since > waitTimeoutMs) w.socket.destroy();
      else this.handOff(w.socket, w.bytes, w.key, w.since);
    }
    if (this.waiting.length === 0) {
      clearInterval(this.waitTimer);
      this.waitTimer = undefined;
    }
  }

  /** A request a worker forwarded (a session it does not own): proxied to the right worker's private socket. */
  private onForward(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.counts.forwarded += 1;
    const raw = req.headers[STICKY_KEY_HEADER];
    delete req.headers[STICKY_KEY_HEADER];
    const id = this.route(typeof raw === 'string' ? raw : undefined);
    const seat = id === undefined ? undefined : this.seats.get(id);
    if (!seat?.listening) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('no worker ready\n');
      return;
    }
    proxyRequest(req, res, seat.agent);
  }

  private onWorkerMessage(id: number, raw: unknown): void {
    const message = stickyWorkerMessage(raw);
    if (!message) return;
    const seat = this.seatOf(id);
    switch (message.deployctl) {
      case 'sticky-listening':
        seat.listening = true;
        if (this.waiting.length > 0) this.retryWaiting();
        return;
      case 'sticky-claim':
        this.counts.claims += 1;
        this.owners.set(message.key, id);
        this.options.channel.send(id, { deployctl: 'sticky-claimed', seq: message.seq });
        return;
      case 'sticky-load':
        seat.closed = message.closed;
        return;
    }
  }

  private seatOf(id: number): Seat {
    let seat = this.seats.get(id);
    if (!seat) {
      seat = { listening: false, handed: 0, closed: 0, agent: new WorkerAgent(this.pairSocket, id) };
      this.seats.set(id, seat);
    }
    return seat;
  }

  private onWorkerExit(id: number): void {
    this.seats.get(id)?.agent.destroy();
    this.seats.delete(id);
    this.owners.dropWorker(id);
  }
}

/** Reads `<digits>\n` off a paused socket, then stops reading; `rest` is what came after it. */
function readPreamble(socket: Socket, done: (id: number | undefined, rest: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const newline = buffered.indexOf(0x0a);
    if (newline < 0 && buffered.length < 16) return;
    socket.off('data', onData);
    socket.pause();
    const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } | null })._handle;
    if (handle?.readStop) {
      handle.reading = false;
      handle.readStop();
    }
    const text = newline < 0 ? '' : buffered.subarray(0, newline).toString('latin1');
    done(/^\d+$/.test(text) ? Number(text) : undefined, buffered.subarray(newline + 1));
  };
  socket.on('data', onData);
  socket.resume();
}

function listen(server: net.Server, options: net.ListenOptions, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(new DeployError('STICKY_LISTEN_FAILED', `sticky scheduling cannot listen on ${what}: ${describeError(error)}`, { cause: error }));
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
