import { request, type Agent } from 'node:http';

export interface GetResult {
  readonly status: number;
  readonly body: string;
  /** The `x-target` header (which HttpTarget answered). */
  readonly target: string | undefined;
}

/**
 * GET http://127.0.0.1:<port><path>. Without `agent`, on a fresh connection that is closed after
 * the answer; with one, on that agent's (keep-alive) connection.
 */
export function httpGet(port: number, path: string, agent?: Agent): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const header = res.headers['x-target'];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          target: typeof header === 'string' ? header : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
