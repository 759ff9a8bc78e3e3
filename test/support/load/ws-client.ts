import WebSocket from 'ws';
import { describeError, type LoadStats } from './stats';

const SEND_INTERVAL_MS = 250;
const CONNECT_RETRY_MS = 100;
const STOP_CLOSE_TIMEOUT_MS = 2000;

function reconnectDelayMs(): number {
  return 20 + Math.floor(Math.random() * 61); // 20..80 ms
}

/**
 * One WebSocket client that stays connected: it reconnects after every server-side close,
 * sends a small message every 250 ms and remembers the version from its current connection's hello.
 */
export class WsLoadClient {
  private ws: WebSocket | undefined;
  private version: string | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private seq = 0;

  constructor(
    private readonly url: string,
    private readonly stats: LoadStats,
    private readonly handshakeTimeoutMs: number,
  ) {}

  start(): void {
    this.connect();
  }

  /** Version from the hello of the current connection; undefined while (re)connecting. */
  currentVersion(): string | undefined {
    return this.version;
  }

  /** Closes the connection with code 1000 (not counted) and clears every timer. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, STOP_CLOSE_TIMEOUT_MS);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      // On a CONNECTING socket this aborts the handshake (emits 'error' + 'close', ignored while stopping).
      ws.close(1000, 'load client stopping');
    });
  }

  private clearTimers(): void {
    if (this.sendTimer !== undefined) clearInterval(this.sendTimer);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.sendTimer = undefined;
    this.reconnectTimer = undefined;
  }

  private scheduleConnect(ms: number): void {
    if (this.stopping) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, ms);
  }

  private connect(): void {
    if (this.stopping) return;
    const ws = new WebSocket(this.url, { handshakeTimeout: this.handshakeTimeoutMs });
    this.ws = ws;
    this.version = undefined;
    let opened = false;
    let error: string | undefined;

    ws.on('open', () => {
      opened = true;
      this.stats.wsConnected();
      this.sendTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) {
          this.seq += 1;
          ws.send(JSON.stringify({ type: 'ping', seq: this.seq }));
        }
      }, SEND_INTERVAL_MS);
    });

    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.ws !== ws || this.version !== undefined || isBinary) return;
      const hello = parseHello(data);
      if (hello !== undefined) this.version = hello;
    });

    ws.on('error', (err: Error) => {
      if (error !== undefined) return;
      error = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'ECONNREFUSED' : describeError(err);
    });

    ws.on('close', (code: number) => {
      if (this.ws === ws) {
        this.ws = undefined;
        this.version = undefined;
        if (this.sendTimer !== undefined) clearInterval(this.sendTimer);
        this.sendTimer = undefined;
      }
      if (this.stopping) return;
      if (!opened) {
        // Nothing listening yet is fine (retry quietly); any other handshake failure is abnormal.
        if (error !== 'ECONNREFUSED') this.stats.wsAbnormal(`connect failed: ${error ?? `close ${code}`}`);
        this.scheduleConnect(CONNECT_RETRY_MS);
        return;
      }
      this.stats.wsClosed(code, error);
      this.scheduleConnect(reconnectDelayMs());
    });
  }
}

function parseHello(data: WebSocket.RawData): string | undefined {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  const text = buffer.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  if (record['type'] !== 'hello') return undefined;
  const version = record['version'];
  return typeof version === 'string' ? version : String(version);
}
