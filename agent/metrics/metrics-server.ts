import http from 'node:http';
import type { Registry } from 'prom-client';
import { DeployError, describeError } from '../errors';

/** Only this host: the metrics are for a scraper on the instance (or a tunnel), never the network. */
export const METRICS_HOST = '127.0.0.1';

/**
 * `GET /metrics` on 127.0.0.1:`control.metricsPort` in the Prometheus text
 * format; anything else is a 404. start/stop are idempotent.
 */
export class MetricsServer {
  private server: http.Server | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly port: number,
  ) {}

  /** The port it listens on, while it does. */
  get boundPort(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, this.port)));
      server.listen(this.port, METRICS_HOST, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    try {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect the metrics: ${describeError(error)}\n`);
    }
  }
}

function listenError(error: NodeJS.ErrnoException, port: number): DeployError {
  if (error.code === 'EADDRINUSE') {
    return new DeployError(
      'METRICS_PORT_IN_USE',
      `control.metricsPort ${port} is already in use on ${METRICS_HOST} (another deploy-agent, or another program); choose a free port or remove control.metricsPort`,
      { cause: error },
    );
  }
  return new DeployError('METRICS_SERVER_FAILED', `cannot serve metrics on ${METRICS_HOST}:${port}: ${error.message}`, { cause: error });
}
