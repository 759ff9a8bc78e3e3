import type { Agent } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { waitUntil } from '../with-timeout';

export interface SocketIoLoadOptions {
  readonly port: number;
  readonly clients: number;
  /** @default ['polling', 'websocket'] (socket.io's default: polling, then upgrade) */
  readonly transports?: readonly ('polling' | 'websocket')[];
  /** One keep-alive agent for every client's polling requests (as a browser's tabs share one pool). */
  readonly agent?: Agent;
  /** Pause between one client's acked emits. @default 50 */
  readonly pauseMs?: number;
  /** socket.io's ackTimeout (5 retries): how long an emit may wait for its ack. @default 10000 */
  readonly ackTimeoutMs?: number;
}

export interface SocketIoLoadReport {
  readonly clients: number;
  /** Clients whose socket is connected now. */
  readonly connected: number;
  /** `connect_error` events (a handshake that failed). */
  readonly connectErrors: number;
  /** Disconnects caused by a `Session ID unknown` answer (the request reached a worker without the session). */
  readonly sessionIdUnknown: number;
  /** Emits whose ack never came (socket.io's own retries included). */
  readonly lostAcks: number;
  readonly acks: number;
  /** Connects after the first, per client: the most any one client had, and the mean. */
  readonly maxReconnectsPerClient: number;
  readonly reconnectsPerClient: number;
  /** Disconnect reasons seen, e.g. { 'transport close': 30 }. */
  readonly disconnectReasons: Record<string, number>;
  /** Per client: the release of its last ack. */
  readonly versionsAtEnd: Record<string, number>;
  /** Transport of each connected client, e.g. { websocket: 30 }. */
  readonly transports: Record<string, number>;
  readonly failures: readonly string[];
}

interface ClientState {
  readonly socket: Socket;
  connects: number;
  lastVersion: string | undefined;
  inFlight: boolean;
}

/**
 * Real socket.io-client@4 clients against 127.0.0.1:port, each emitting
 * `echo` with an ack in a loop (socket.io's `retries` keep an emit across a
 * reconnect, so a lost ack is one the server side dropped for good).
 */
export class SocketIoLoad {
  private readonly states: ClientState[] = [];
  private running = true;
  private connectErrors = 0;
  private sessionIdUnknown = 0;
  private sent = 0;
  private acked = 0;
  private readonly reasons: Record<string, number> = {};
  private readonly failures: string[] = [];
  private readonly loops: Promise<void>[] = [];
  private baseConnects: number[] = [];
  /** Emits still unanswered when stop() gave up waiting for them (their clients never connected again). */
  private neverAnswered = 0;

  constructor(private readonly options: SocketIoLoadOptions) {
    for (let i = 0; i < options.clients; i++) this.states.push(this.client());
    this.baseConnects = this.states.map(() => 0);
  }

  private client(): ClientState {
    const o = this.options;
    const socket = io(`http://127.0.0.1:${o.port}`, {
      transports: [...(o.transports ?? ['polling', 'websocket'])],
      ...(o.agent ? { agent: o.agent as unknown as string } : {}),
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
      ackTimeout: o.ackTimeoutMs ?? 10_000,
      retries: 5,
    });
    const state: ClientState = { socket, connects: 0, lastVersion: undefined, inFlight: false };
    socket.on('connect', () => {
      state.connects += 1;
    });
    socket.on('connect_error', (error) => {
      this.connectErrors += 1;
      this.fail(`connect_error ${error.message}`);
    });
    socket.on('disconnect', (reason, details) => {
      this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
      const text = describeDetails(details);
      if (text.includes('Session ID unknown')) this.sessionIdUnknown += 1;
      if (reason !== 'transport close' && reason !== 'io client disconnect') this.fail(`disconnect ${reason} ${text}`);
    });
    this.loops.push(this.emitLoop(state));
    return state;
  }

  private async emitLoop(state: ClientState): Promise<void> {
    let n = 0;
    while (this.running) {
      n += 1;
      this.sent += 1;
      state.inFlight = true;
      try {
        const answer = (await state.socket.emitWithAck('echo', n)) as { version?: string };
        this.acked += 1;
        state.lastVersion = answer.version;
      } catch (error) {
        this.fail(`ack ${String(error)}`);
      }
      state.inFlight = false;
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 50));
    }
  }

  private fail(text: string): void {
    if (this.failures.length < 20) this.failures.push(text);
  }

  /** Counts restart from here (versions and connection state stay). */
  resetCounters(): void {
    this.connectErrors = 0;
    this.sessionIdUnknown = 0;
    this.sent = this.states.filter((s) => s.inFlight).length;
    this.acked = 0;
    for (const key of Object.keys(this.reasons)) delete this.reasons[key];
    this.failures.length = 0;
    this.baseConnects = this.states.map((s) => s.connects);
  }

  snapshot(): SocketIoLoadReport {
    const reconnects = this.states.map((s, i) => Math.max(0, s.connects - Math.max(1, this.baseConnects[i] ?? 0)));
    const versions: Record<string, number> = {};
    const transports: Record<string, number> = {};
    for (const s of this.states) {
      const v = s.lastVersion ?? '(none)';
      versions[v] = (versions[v] ?? 0) + 1;
      if (s.socket.connected) {
        const t = s.socket.io.engine?.transport?.name ?? '(none)';
        transports[t] = (transports[t] ?? 0) + 1;
      }
    }
    const inFlight = this.states.filter((s) => s.inFlight).length;
    return {
      clients: this.states.length,
      connected: this.states.filter((s) => s.socket.connected).length,
      connectErrors: this.connectErrors,
      sessionIdUnknown: this.sessionIdUnknown,
      lostAcks: Math.max(0, this.sent - this.acked - inFlight + this.neverAnswered),
      acks: this.acked,
      maxReconnectsPerClient: Math.max(0, ...reconnects),
      reconnectsPerClient: reconnects.reduce((a, b) => a + b, 0) / Math.max(1, this.states.length),
      disconnectReasons: { ...this.reasons },
      versionsAtEnd: versions,
      transports,
      failures: [...this.failures],
    };
  }

  waitFor(predicate: (r: SocketIoLoadReport) => boolean, timeoutMs: number, label: string): Promise<void> {
    return waitUntil(() => predicate(this.snapshot()), timeoutMs, label, 50);
  }

  /** Stops the loops (waiting for the emits in flight), then closes every client. */
  async stop(): Promise<SocketIoLoadReport> {
    if (this.running) {
      this.running = false;
      // An emit made while its client cannot connect is never sent, so its ack timeout never starts:
      // wait for the loops a bounded time, then count what is still unanswered as lost.
      const boundMs = 2 * (this.options.ackTimeoutMs ?? 10_000) + 1_000;
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        Promise.all(this.loops).then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), boundMs);
        }),
      ]);
      clearTimeout(timer);
      if (!settled) this.neverAnswered = this.states.filter((s) => s.inFlight).length;
    }
    const report = this.snapshot();
    for (const s of this.states) s.socket.disconnect();
    return report;
  }
}

function describeDetails(details: unknown): string {
  if (details === undefined || details === null) return '';
  const d = details as { description?: unknown; context?: { responseText?: unknown } };
  const text = typeof d.context?.responseText === 'string' ? d.context.responseText : '';
  return `${String(d.description ?? '')} ${text}`.trim();
}
