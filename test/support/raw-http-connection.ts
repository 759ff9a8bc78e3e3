import net from 'node:net';
import { withTimeout } from './with-timeout';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * One HTTP/1.1 keep-alive connection on 127.0.0.1 that sends each request
 * without first looking whether the server has closed its side: the client
 * that picks an idle keep-alive socket in the same instant the server closes
 * it (node's http.Agent on a busy event loop that has not yet read the FIN).
 * Such a client gets "socket hang up" from get() when the server closed
 * without answering. Bodies: Content-Length or chunked.
 */
export class RawHttpConnection {
  private buffered = Buffer.alloc(0);
  private serverEnded = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: net.Socket) {
    // Half-open: a FIN from the server does not end our side, so a request can still be written.
    socket.on('data', (chunk: Buffer) => this.wake(() => (this.buffered = Buffer.concat([this.buffered, chunk]))));
    socket.on('end', () => this.wake(() => (this.serverEnded = true)));
    socket.on('close', () => this.wake(() => (this.closed = true)));
    socket.on('error', () => undefined); // EPIPE/ECONNRESET after the server closed: seen as 'close'
  }

  static open(port: number, timeoutMs = 10_000): Promise<RawHttpConnection> {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const connected = new Promise<RawHttpConnection>((resolve, reject) => {
      socket.once('connect', () => resolve(new RawHttpConnection(socket)));
      socket.once('error', reject);
    });
    return withTimeout(connected, timeoutMs, `a connection to 127.0.0.1:${port}`).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
  }

  /** True once the server has closed its side (sent its FIN). */
  get closedByServer(): boolean {
    return this.serverEnded || this.closed;
  }

  /** Sends GET `path` and resolves with the response; rejects "socket hang up" when the server closes without one. */
  get(path: string, timeoutMs = 10_000): Promise<RawResponse> {
    if (!this.closed) this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const answer = new Promise<RawResponse>((resolve, reject) => {
      const check = (): void => {
        let response: RawResponse | undefined;
        try {
          response = this.takeResponse();
        } catch (error) {
          return done(() => reject(error));
        }
        if (response) return done(() => resolve(response));
        if (this.serverEnded || this.closed) done(() => reject(new Error(`socket hang up: the server closed the connection without answering GET ${path}`)));
      };
      const done = (settle: () => void): void => {
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
    return withTimeout(answer, timeoutMs, `the answer to GET ${path}`);
  }

  /** Resolves once the server has closed its side of the connection. */
  serverClose(timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      const check = (): void => {
        if (!this.closedByServer) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
    return withTimeout(closed, timeoutMs, 'the server to close the keep-alive connection');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(update: () => void): void {
    update();
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The first complete response in the buffer, removed from it; undefined while incomplete. */
  private takeResponse(): RawResponse | undefined {
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine = '', ...lines] = this.buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = headers['transfer-encoding'] === 'chunked' ? this.chunkedBody(headEnd + 4) : this.sizedBody(headEnd + 4, headers);
    if (!body) return undefined;
    this.buffered = this.buffered.subarray(body.end);
    return { status: Number(statusLine.split(' ')[1]), headers, body: body.text };
  }

  private sizedBody(start: number, headers: Record<string, string>): { text: string; end: number } | undefined {
    const length = Number(headers['content-length'] ?? 0);
    if (!Number.isInteger(length)) throw new Error(`bad Content-Length ${headers['content-length']}`);
    if (this.buffered.length < start + length) return undefined;
    return { text: this.buffered.subarray(start, start + length).toString('utf8'), end: start + length };
  }

  private chunkedBody(start: number): { text: string; end: number } | undefined {
    let text = '';
    let at = start;
    for (;;) {
      const lineEnd = this.buffered.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(this.buffered.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isInteger(size)) throw new Error('bad chunk size');
      const dataStart = lineEnd + 2;
      if (this.buffered.length < dataStart + size + 2) return undefined;
      if (size === 0) return { text, end: dataStart + 2 };
      text += this.buffered.subarray(dataStart, dataStart + size).toString('utf8');
      at = dataStart + size + 2;
    }
  }
}
