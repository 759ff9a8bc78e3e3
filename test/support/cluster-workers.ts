import cluster from 'node:cluster';
import http from 'node:http';
import { waitUntil } from './with-timeout';

/** Pids of every node:cluster worker of this process that has not exited yet. */
export function liveClusterPids(): number[] {
  return Object.values(cluster.workers ?? {}).flatMap((w) => (w && !w.isDead() && w.process.pid ? [w.process.pid] : []));
}

/** Resolves once no cluster worker of this process is left. */
export function noClusterWorkersLeft(timeoutMs: number, label: string): Promise<void> {
  return waitUntil(() => liveClusterPids().length === 0, timeoutMs, `no cluster worker left ${label}`);
}

/** GETs `path` on 127.0.0.1:port (a fresh connection each time) and resolves with the status, version header and body. */
export function getOnce(port: number, path = '/'): Promise<{ status: number; version: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.headers['x-app-version'] as string | undefined, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on('error', reject);
  });
}

/** The x-app-version of `count` requests in a row (each a fresh connection, so the cluster spreads them over every worker). */
export async function versionsServed(port: number, count: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const { version } = await getOnce(port);
    const key = version ?? '(none)';
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}
