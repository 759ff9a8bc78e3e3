import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Options } from '../../agent/store/s3-options';
import { withTimeout } from './with-timeout';

/** A request as the proxy sees it (path-style: /bucket/key?query). */
export interface ProxiedRequest {
  readonly method: string;
  readonly bucket: string;
  /** The object key, '' for a bucket-level request. */
  readonly key: string;
  readonly query: URLSearchParams;
}

/** A rule of `loseAnswers`: how many answers it has thrown away so far. */
export interface LostAnswers {
  readonly lost: number;
  /** Resolves once `count` answers were lost. */
  readonly done: Promise<void>;
}

/**
 * An HTTP proxy in front of the S3 test server that can lose answers: a
 * request it is told to lose is forwarded to the server as is (so a write
 * lands), the server's whole answer is read, and then the client's socket is
 * destroyed instead of the answer being passed on. The SDK sees what a
 * network cut after the write looks like (socket hang up) and retries; with
 * as many losses as the SDK's attempts, the caller gets a failure for a write
 * that landed.
 */
export interface LossyS3Proxy {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** What a store needs to reach the server through this proxy (path-style, us-east-1). */
  readonly options: S3Options;
  /** Loses the answers of the next `count` requests that `match` accepts. */
  loseAnswers(match: (request: ProxiedRequest) => boolean, count: number): LostAnswers;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

interface Rule {
  readonly match: (request: ProxiedRequest) => boolean;
  readonly count: number;
  remaining: number;
  lost: number;
  readonly finished: () => void;
}

export async function startLossyS3Proxy(upstreamPort: number): Promise<LossyS3Proxy> {
  const rules: Rule[] = [];
  const upstreamAgent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    const seen = describe(req);
    const rule = rules.find((r) => r.remaining > 0 && r.match(seen));
    if (rule !== undefined) rule.remaining -= 1;
    // Expect: 100-continue is answered by this server; the upstream gets the body at once.
    const { expect: _expect, ...headers } = req.headers;
    const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent: upstreamAgent }, (answer) => {
      if (rule === undefined) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      answer.resume();
      answer.once('end', () => {
        rule.lost += 1;
        req.socket.destroy();
        if (rule.lost === rule.count) rule.finished();
      });
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    options: { endpoint, region: 'us-east-1', forcePathStyle: true },
    loseAnswers(match, count) {
      let finished: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const rule: Rule = { match, count, remaining: count, lost: 0, finished: () => finished() };
      rules.push(rule);
      return {
        get lost() {
          return rule.lost;
        },
        done,
      };
    },
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        upstreamAgent.destroy();
        await withTimeout(stopped, 5_000, `the lossy S3 proxy on port ${port} to close`);
      })();
      return closed;
    },
  };
}

function describe(req: http.IncomingMessage): ProxiedRequest {
  const url = new URL(req.url ?? '/', 'http://s3');
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/').map((part) => decodeURIComponent(part));
  return { method: req.method ?? 'GET', bucket, key: rest.join('/'), query: url.searchParams };
}
