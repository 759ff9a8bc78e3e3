import http2 from 'node:http2';
import { waitUntil } from '../with-timeout';

export interface H2LoadReport {
  readonly streams: number;
  readonly failedStreams: number;
  readonly failures: readonly string[];
  readonly versions: Record<string, number>;
  /** Sessions the server ended (GOAWAY or close) that the client replaced. */
  readonly sessionsReplaced: number;
}

/**
 * HTTP/2 cleartext clients: each keeps one session and runs `concurrency`
 * request loops on it; a session the server ends is replaced, and only a
 * stream that fails (reset, error, non-2xx) counts as failed.
 */
export class H2Load {
  private running = true;
  private streams = 0;
  private failedStreams = 0;
  private sessionsReplaced = 0;
  private readonly failures: string[] = [];
  private readonly versions: Record<string, number> = {};
  private readonly loops: Promise<void>[] = [];
  private readonly sessions = new Set<http2.ClientHttp2Session>();

  constructor(
    private readonly port: number,
    clients: number,
    concurrency: number,
  ) {
    for (let c = 0; c < clients; c++) {
      const client = { session: this.connect() };
      for (let i = 0; i < concurrency; i++) this.loops.push(this.loop(client));
    }
  }

  private connect(): http2.ClientHttp2Session {
    const session = http2.connect(`http://127.0.0.1:${this.port}`);
    session.on('error', () => undefined);
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    return session;
  }

  private async loop(client: { session: http2.ClientHttp2Session }): Promise<void> {
    while (this.running) {
      if (client.session.closed || client.session.destroyed || (client.session as { goawayReceived?: boolean }).goawayReceived) {
        client.session = this.connect();
        this.sessionsReplaced += 1;
      }
      const outcome = await this.request(client.session);
      if (outcome === 'session-ended') continue; // refused before it started (GOAWAY): safe to retry
      this.streams += 1;
      if (outcome.startsWith('ok ')) {
        const v = outcome.slice(3);
        this.versions[v] = (this.versions[v] ?? 0) + 1;
      } else {
        this.failedStreams += 1;
        if (this.failures.length < 20) this.failures.push(outcome);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private request(session: http2.ClientHttp2Session): Promise<string> {
    return new Promise((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':path': '/' });
      } catch {
        resolve('session-ended');
        return;
      }
      let version = '(none)';
      let status = 0;
      const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), 10_000);
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        version = String(headers['x-app-version'] ?? '(none)');
      });
      stream.on('data', () => undefined);
      stream.on('close', () => {
        clearTimeout(timer);
        // REFUSED_STREAM: the server never processed it (a GOAWAY raced it).
        if (stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) resolve('session-ended');
        else if (status >= 200 && status < 300 && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) resolve(`ok ${version}`);
        else resolve(`stream status ${status} rst ${stream.rstCode}`);
      });
      stream.on('error', () => undefined);
      stream.end();
    });
  }

  resetCounters(): void {
    this.streams = 0;
    this.failedStreams = 0;
    this.sessionsReplaced = 0;
    this.failures.length = 0;
    for (const key of Object.keys(this.versions)) delete this.versions[key];
  }

  snapshot(): H2LoadReport {
    return { streams: this.streams, failedStreams: this.failedStreams, failures: [...this.failures], versions: { ...this.versions }, sessionsReplaced: this.sessionsReplaced };
  }

  waitFor(predicate: (r: H2LoadReport) => boolean, timeoutMs: number, label: string): Promise<void> {
    return waitUntil(() => predicate(this.snapshot()), timeoutMs, label, 50);
  }

  async stop(): Promise<H2LoadReport> {
    this.running = false;
    await Promise.all(this.loops);
    for (const session of this.sessions) session.destroy();
    return this.snapshot();
  }
}
