import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkHealth } from '../../../../agent/deploy/health-check';
import { freePort } from '../../../support/free-port';
import { withTimeout } from '../../../support/with-timeout';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('checkHealth', () => {
  let server: http.Server | undefined;
  let requests: string[];

  beforeEach(() => {
    requests = [];
  });

  afterEach(async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  /** Starts a server on 127.0.0.1, port 0, and returns the port it got. */
  async function serve(handler: Handler): Promise<number> {
    const s = http.createServer((req, res) => {
      requests.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
      handler(req, res);
    });
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
    return (s.address() as AddressInfo).port;
  }

  const answer = (status: number): Handler => (_req, res) => {
    res.statusCode = status;
    res.end(`${status}\n`);
  };

  it('passes on 200, with one GET of the path', async () => {
    const port = await serve(answer(200));
    await expect(withTimeout(checkHealth(port, '/healthz', 5_000), 15_000, 'health check')).resolves.toBeUndefined();
    expect(requests).toEqual(['GET /healthz']);
  });

  it('passes on any 2xx', async () => {
    const port = await serve(answer(204));
    await expect(withTimeout(checkHealth(port, '/', 5_000), 15_000, 'health check')).resolves.toBeUndefined();
  });

  it('passes when the server answers 503 twice, then 200', async () => {
    let calls = 0;
    const port = await serve((req, res) => {
      calls += 1;
      answer(calls <= 2 ? 503 : 200)(req, res);
    });
    await expect(withTimeout(checkHealth(port, '/ready', 10_000), 20_000, 'health check')).resolves.toBeUndefined();
    expect(requests).toEqual(['GET /ready', 'GET /ready', 'GET /ready']);
  });

  it('fails with HEALTH_CHECK_FAILED naming the path, the port and the last status when it keeps answering 500', async () => {
    const port = await serve(answer(500));
    const error = await withTimeout(checkHealth(port, '/healthz', 600), 15_000, 'health check').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    const message = (error as Error).message;
    expect(message).toContain('/healthz');
    expect(message).toContain(String(port));
    expect(message).toContain('status 500');
    expect(message).toContain('600 ms');
    expect(requests.length).toBeGreaterThanOrEqual(2); // it retried
  });

  it('names the last status, not the first', async () => {
    let calls = 0;
    const port = await serve((req, res) => {
      calls += 1;
      answer(calls === 1 ? 503 : 404)(req, res);
    });
    const error = await withTimeout(checkHealth(port, '/healthz', 600), 15_000, 'health check').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    expect((error as Error).message).toContain('status 404');
  });

  it('fails when nothing listens, saying ECONNREFUSED', async () => {
    const port = await freePort();
    const error = await withTimeout(checkHealth(port, '/healthz', 600), 15_000, 'health check').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain(String(port));
  });

  it('is bounded by timeoutMs when the server never answers', async () => {
    const port = await serve(() => {
      // accept the request and never answer
    });
    const error = await withTimeout(checkHealth(port, '/healthz', 600), 15_000, 'health check against a silent server').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    expect((error as Error).message).toContain('/healthz');
    expect((error as Error).message).toMatch(/no answer/);
    expect(requests.length).toBeGreaterThanOrEqual(1);
  });
});
