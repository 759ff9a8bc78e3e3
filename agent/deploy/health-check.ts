import http from 'node:http';
import { DeployError } from '../errors';

/**
 * GETs http://127.0.0.1:<port><path> until it answers 2xx or `timeoutMs`
 * has passed (a try every 250 ms, each bounded by what time is left).
 */
export async function checkHealth(port: number, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const left = Math.max(100, deadline - Date.now());
    last = await probe(port, path, Math.min(left, 5_000));
    if (last === 'ok') return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
  }
  throw new DeployError('HEALTH_CHECK_FAILED', `health check GET ${path} on port ${port} did not pass within ${timeoutMs} ms: ${last}`);
}

function probe(port: number, path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? 'ok' : `status ${status}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve(error.message));
  });
}
