import http2 from 'node:http2';
import { waitUntil, withTimeout } from '../with-timeout';

/** What an HTTP/2 load saw: streams by version, failed streams, sessions it needed. */
export interface H2LoadReport {
  readonly streams: number;
  readonly versions: Readonly<Record<string, number>>;
  /** "<error code>: <message>" of every stream that did not end with a 200 and a body, in order. */
  readonly failures: readonly string[];
  /** Sessions opened: the first, plus one after every GOAWAY (or a session lost otherwise). */
  readonly sessions: number;
  /** GOAWAY frames received. */
  readonly goaways: number;
  /** Streams the server refused unprocessed (REFUSED_STREAM) and that were sent again, as RFC 9113 §8.7 allows. */
  readonly refusedAndRetried: number;
}

export interface H2Load {
  snapshot(): H2LoadReport;
  /** Resolves once `predicate` holds for a snapshot; rejects after `timeoutMs`, naming `label`. */
  waitFor(predicate: (report: H2LoadReport) => boolean, timeoutMs: number, label: string): Promise<void>;
  /** Stops issuing streams, waits for those in flight (or `timeoutMs`), closes the session. Idempotent. */
  stop(timeoutMs?: number): Promise<H2LoadReport>;
}

/**
 * `concurrency` streams at a time (GET /), all over ONE HTTP/2 session, as a
 * load balancer's target connection carries them. Like any well-behaved h2
 * client (RFC 9113 §6.8), it opens no new stream on a session that sent GOAWAY
 * and opens the next one; the server ends the old one once its streams are done.
 * (It does not close() it: Node's close() sends a GOAWAY of its own, which can
 * overtake streams already sent, and a Node server refuses streams that arrive
 * after a peer's GOAWAY.) A stream refused unprocessed (REFUSED_STREAM) is sent
 * again, as HTTP/2 clients do (gRPC's transparent retry): Node's client takes a
 * request it will never send when it reads a GOAWAY in the same packet as the
 * end of the stream before, and refuses it at the final GOAWAY. Anything else
 * (a reset, a cut session, a refused retry) is a failed stream.
 */
export function startH2Load(options: { port: number; concurrency: number }): H2Load {
  const url = `http://127.0.0.1:${options.port}`;
  const versions: Record<string, number> = {};
  const failures: string[] = [];
  let streams = 0;
  let sessionCount = 0;
  let goaways = 0;
  let refusedAndRetried = 0;
  let stopping = false;
  const all = new Set<http2.ClientHttp2Session>();
  const toldToGo = new WeakSet<http2.ClientHttp2Session>();
  let session = open();

  function open(): http2.ClientHttp2Session {
    sessionCount += 1;
    const next = http2.connect(url);
    all.add(next);
    next.once('close', () => all.delete(next));
    next.on('goaway', () => {
      goaways += 1;
      toldToGo.add(next);
    });
    next.on('error', () => undefined); // its streams report what it cost
    return next;
  }

  /** The session to use: a new one when the current one was told to go away or is gone. */
  function current(): http2.ClientHttp2Session {
    if (toldToGo.has(session) || session.closed || session.destroyed) session = open();
    return session;
  }

  function oneStream(retry = false): Promise<void> {
    return new Promise((resolve) => {
      const done = (failure?: string): void => {
        streams += 1;
        if (failure !== undefined) failures.push(failure);
        resolve();
      };
      let req: http2.ClientHttp2Stream;
      try {
        req = current().request({ ':path': '/' });
      } catch (error: unknown) {
        setImmediate(() => done(`request: ${describe(error)}`));
        return;
      }
      let status = 0;
      let version = '';
      let body = '';
      req.on('response', (headers) => {
        status = Number(headers[':status']);
        version = String(headers['x-app-version'] ?? '');
      });
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (status !== 200 || body !== version) return done(`status ${status} body ${JSON.stringify(body)}`);
        versions[version] = (versions[version] ?? 0) + 1;
        done();
      });
      req.on('error', (error: unknown) => {
        if (retry || req.rstCode !== http2.constants.NGHTTP2_REFUSED_STREAM) return done(describe(error));
        refusedAndRetried += 1;
        void oneStream(true).then(resolve);
      });
    });
  }

  const loops = Array.from({ length: options.concurrency }, async () => {
    while (!stopping) await oneStream();
  });

  const snapshot = (): H2LoadReport => ({ streams, versions: { ...versions }, failures: [...failures], sessions: sessionCount, goaways, refusedAndRetried });
  let stopped: Promise<H2LoadReport> | undefined;

  return {
    snapshot,
    waitFor: (predicate, timeoutMs, label) => waitUntil(() => predicate(snapshot()), timeoutMs, label),
    stop: (timeoutMs = 10_000) => {
      stopped ??= (async () => {
        stopping = true;
        await withTimeout(Promise.all(loops), timeoutMs, 'the streams in flight to end').catch((error: unknown) => failures.push(describe(error)));
        for (const s of all) s.destroy();
        return snapshot();
      })();
      return stopped;
    },
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : error.name}: ${error.message}`;
}
