import type { LoadReport } from './load-client';

/** How many failure descriptions a report keeps (HTTP and WebSocket lists each). */
export const MAX_FAILURE_DESCRIPTIONS = 20;

/** Key used in version maps when a response or WebSocket client has no version. */
export const NO_VERSION = '(none)';

/** WebSocket close codes that a graceful server may use. */
const NORMAL_CLOSE_CODES = new Set([1000, 1001, 1012]);

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' && code !== '' ? code : err.message;
  }
  return String(err);
}

function increment(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Nearest-rank percentile of an ascending-sorted array; 0 when empty. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
  return Math.round(value * 100) / 100;
}

/** Mutable counters of one measurement window; `reset()` starts a new window. */
export class LoadStats {
  private requests = 0;
  private failedRequests = 0;
  private failures: string[] = [];
  private versions: Record<string, number> = {};
  private latencies: number[] = [];
  private wsConnects = 0;
  private wsCloses = 0;
  private abnormalWsCloses = 0;
  private wsCloseCodes: Record<string, number> = {};
  private wsFailures: string[] = [];

  reset(): void {
    this.requests = 0;
    this.failedRequests = 0;
    this.failures = [];
    this.versions = {};
    this.latencies = [];
    this.wsConnects = 0;
    this.wsCloses = 0;
    this.abnormalWsCloses = 0;
    this.wsCloseCodes = {};
    this.wsFailures = [];
  }

  requestSucceeded(version: string | undefined, latencyMs: number): void {
    this.requests += 1;
    this.latencies.push(latencyMs);
    increment(this.versions, version ?? NO_VERSION);
  }

  requestFailed(description: string): void {
    this.requests += 1;
    this.failedRequests += 1;
    if (this.failures.length < MAX_FAILURE_DESCRIPTIONS) this.failures.push(description);
  }

  wsConnected(): void {
    this.wsConnects += 1;
  }

  /** A close we did not initiate. `error` is set when the client saw an 'error' event on that connection. */
  wsClosed(code: number, error: string | undefined): void {
    this.wsCloses += 1;
    increment(this.wsCloseCodes, String(code));
    if (error !== undefined || !NORMAL_CLOSE_CODES.has(code)) {
      this.wsAbnormal(error !== undefined ? `close ${code} after error ${error}` : `close ${code}`);
    }
  }

  /** Abnormal WebSocket event that is not a close of an open connection (e.g. a failed handshake). */
  wsAbnormal(description: string): void {
    this.abnormalWsCloses += 1;
    if (this.wsFailures.length < MAX_FAILURE_DESCRIPTIONS) this.wsFailures.push(description);
  }

  report(wsClients: number, wsVersions: ReadonlyArray<string | undefined>): LoadReport {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const wsVersionsAtEnd: Record<string, number> = {};
    for (const v of wsVersions) increment(wsVersionsAtEnd, v ?? NO_VERSION);
    return {
      requests: this.requests,
      failedRequests: this.failedRequests,
      failures: [...this.failures],
      versions: { ...this.versions },
      latencyP50Ms: percentile(sorted, 50),
      latencyP99Ms: percentile(sorted, 99),
      wsClients,
      wsConnects: this.wsConnects,
      wsCloses: this.wsCloses,
      abnormalWsCloses: this.abnormalWsCloses,
      wsCloseCodes: { ...this.wsCloseCodes },
      wsVersionsAtEnd,
      wsClosesPerClient: wsClients === 0 ? 0 : this.wsCloses / wsClients,
      wsFailures: [...this.wsFailures],
    };
  }
}
