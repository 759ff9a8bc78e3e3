import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { waitUntil } from '../with-timeout';
import { describeError, LoadStats } from './stats';
import { WsLoadClient } from './ws-client';

export interface LoadOptions {
  port: number;
  /** Concurrent request loops over a keep-alive http.Agent. @default 4 */
  keepAliveConcurrency?: number;
  /** Concurrent request loops that open a fresh connection per request (agent: false, Connection: close). @default 2 */
  freshConcurrency?: number;
  /** WebSocket clients to keep connected (ws://127.0.0.1:port/ws); they reconnect after a close. @default 0 */
  wsClients?: number;
  /** HTTP path. @default '/' */
  path?: string;
  /** A request that takes longer than this counts as failed. @default 10000 */
  requestTimeoutMs?: number;
  /** Pause between requests of one loop. @default 0 */
  pauseMs?: number;
}

export interface LoadReport {
  /** Requests that finished in the current window, successful or not. */
  requests: number;
  failedRequests: number;
  /** First 20 failure descriptions, e.g. "ECONNRESET keep-alive", "status 502 fresh", "timeout keep-alive". */
  failures: string[];
  /** Successful (2xx) responses per x-app-version header ('(none)' when missing). */
  versions: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  wsClients: number;
  wsConnects: number;
  /** Closes initiated by the server side (not the ones the load client does at stop). */
  wsCloses: number;
  /** Close codes other than 1000/1001/1012, client 'error' events, failed handshakes other than ECONNREFUSED. */
  abnormalWsCloses: number;
  wsCloseCodes: Record<string, number>;
  /** Per WS client: version from the hello of its current connection ('(none)' while reconnecting). */
  wsVersionsAtEnd: Record<string, number>;
  /** wsCloses / wsClients (0 when there are no clients). */
  wsClosesPerClient: number;
  /** First 20 descriptions of abnormal WebSocket events, e.g. "close 1006 after error ECONNRESET". */
  wsFailures: string[];
}

export interface LoadHandle {
  snapshot(): LoadReport;
  /** Marks the start of a measurement window: every counter (HTTP and WebSocket, incl. versions and latencies) restarts from zero. */
  resetCounters(): void;
  /** Resolves when predicate(snapshot()) is true; polls every 20 ms; rejects with Error(`timed out after ${timeoutMs} ms waiting for ${label}`). */
  waitFor(predicate: (r: LoadReport) => boolean, timeoutMs: number, label: string): Promise<void>;
  /** Stops loops, waits for in-flight requests (max requestTimeoutMs), closes WS clients with 1000 (not counted), destroys agents. */
  stop(): Promise<LoadReport>;
}

type LoopKind = 'keep-alive' | 'fresh';
type Outcome = { ok: true; version: string | undefined; latencyMs: number } | { ok: false; description: string };

/** After a failed request a loop pauses at least this long, so a dead server does not cause a hot spin. */
const FAILURE_BACKOFF_MS = 10;

/** Cancellable sleeps: `cancelAll()` clears every pending timer and resolves its promise. */
class Sleeper {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.set(timer, resolve);
    });
  }

  cancelAll(): void {
    for (const [timer, resolve] of this.pending) {
      clearTimeout(timer);
      resolve();
    }
    this.pending.clear();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function requestOnce(
  port: number,
  path: string,
  agent: http.Agent | false,
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const started = performance.now();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const fail = (description: string): void => finish({ ok: false, description });

    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        agent,
        headers: agent === false ? { connection: 'close' } : {},
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const version = headerValue(res.headers['x-app-version']);
        res.on('error', (err: Error) => fail(describeError(err)));
        res.on('end', () => {
          if (status >= 200 && status < 300) {
            finish({ ok: true, version, latencyMs: performance.now() - started });
          } else {
            fail(`status ${status}`);
          }
        });
        res.on('close', () => {
          if (!res.complete) fail('response aborted');
        });
        res.resume();
      },
    );
    timer = setTimeout(() => {
      fail('timeout');
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: Error) => fail(describeError(err)));
    req.end();
  });
}

export function startLoad(options: LoadOptions): LoadHandle {
  const port = options.port;
  const keepAliveConcurrency = options.keepAliveConcurrency ?? 4;
  const freshConcurrency = options.freshConcurrency ?? 2;
  const wsClientCount = options.wsClients ?? 0;
  const path = options.path ?? '/';
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const pauseMs = options.pauseMs ?? 0;

  const stats = new LoadStats();
  const sleeper = new Sleeper();
  const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, keepAliveConcurrency) });
  let stopping = false;

  async function loop(kind: LoopKind): Promise<void> {
    const agent = kind === 'keep-alive' ? keepAliveAgent : false;
    while (!stopping) {
      const outcome = await requestOnce(port, path, agent, requestTimeoutMs);
      if (outcome.ok) {
        stats.requestSucceeded(outcome.version, outcome.latencyMs);
      } else {
        stats.requestFailed(`${outcome.description} ${kind}`);
      }
      const pause = outcome.ok ? pauseMs : Math.max(pauseMs, FAILURE_BACKOFF_MS);
      if (!stopping && pause > 0) await sleeper.sleep(pause);
    }
  }

  const loops: Promise<void>[] = [];
  for (let i = 0; i < keepAliveConcurrency; i += 1) loops.push(loop('keep-alive'));
  for (let i = 0; i < freshConcurrency; i += 1) loops.push(loop('fresh'));

  const wsClients: WsLoadClient[] = [];
  for (let i = 0; i < wsClientCount; i += 1) {
    const client = new WsLoadClient(`ws://127.0.0.1:${port}/ws`, stats, requestTimeoutMs);
    wsClients.push(client);
    client.start();
  }

  const snapshot = (): LoadReport =>
    stats.report(
      wsClientCount,
      wsClients.map((c) => c.currentVersion()),
    );

  let stopped: Promise<LoadReport> | undefined;
  const stop = async (): Promise<LoadReport> => {
    stopping = true;
    sleeper.cancelAll();
    await Promise.all(loops); // each in-flight request is bounded by requestTimeoutMs
    const report = snapshot(); // WS versions as of stop time, before we close them
    await Promise.all(wsClients.map((c) => c.stop()));
    keepAliveAgent.destroy();
    return report;
  };

  return {
    snapshot,
    resetCounters: () => stats.reset(),
    waitFor: (predicate, timeoutMs, label) => waitUntil(() => predicate(snapshot()), timeoutMs, label, 20),
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
