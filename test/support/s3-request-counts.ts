import type { SeenRequest } from './s3-server';

/** How S3 bills an operation: GET-class ($0.0004/1000), PUT-class ($0.005/1000, LIST included), or free. */
export type BillingClass = 'get' | 'put' | 'free';

const BILLING: Readonly<Record<string, BillingClass>> = {
  GetObject: 'get',
  HeadObject: 'get',
  HeadBucket: 'get',
  PutObject: 'put',
  CopyObject: 'put',
  ListObjects: 'put',
  CreateMultipartUpload: 'put',
  UploadPart: 'put',
  CompleteMultipartUpload: 'put',
  CreateBucket: 'put',
  DeleteObject: 'free',
  DeleteObjects: 'free',
  AbortMultipartUpload: 'free',
  DeleteBucket: 'free',
};

export function billingClass(operation: string): BillingClass {
  const known = BILLING[operation];
  if (known === undefined) throw new Error(`the S3 test server saw ${operation}, which s3-request-counts.ts does not price: add it`);
  return known;
}

/** Requests of one operation on one key prefix. */
export interface RequestCount {
  readonly operation: string;
  readonly billing: BillingClass;
  /**
   * The key below the store prefix, cut after its first folder: `desired.json`,
   * `instances/`, `releases/`; `(bucket)` for requests on the bucket itself (ListObjects).
   */
  readonly keyPrefix: string;
  readonly count: number;
}

export interface CountOptions {
  /** Only requests on this bucket: on keys under this store prefix (no trailing '/'), or on the bucket itself. */
  readonly bucket: string;
  readonly storePrefix: string;
  /** Only requests that arrived in [since, until) (Date.now() values). */
  readonly since?: number;
  readonly until?: number;
}

/** The S3 test server's log, summed per operation and key prefix (sorted, largest first). */
export function countRequests(requests: readonly SeenRequest[], options: CountOptions): RequestCount[] {
  const under = options.storePrefix === '' ? '' : `${options.storePrefix}/`;
  const counts = new Map<string, { operation: string; keyPrefix: string; count: number }>();
  for (const request of requests) {
    const onBucket = request.key === '';
    if (request.bucket !== options.bucket || (!onBucket && !request.key.startsWith(under))) continue;
    if (options.since !== undefined && request.at < options.since) continue;
    if (options.until !== undefined && request.at >= options.until) continue;
    const relative = request.key.slice(under.length);
    const slash = relative.indexOf('/');
    const keyPrefix = onBucket ? '(bucket)' : slash < 0 ? relative : relative.slice(0, slash + 1);
    const id = `${request.operation} ${keyPrefix}`;
    const entry = counts.get(id) ?? { operation: request.operation, keyPrefix, count: 0 };
    entry.count += 1;
    counts.set(id, entry);
  }
  return [...counts.values()]
    .map((c) => ({ ...c, billing: billingClass(c.operation) }))
    .sort((a, b) => b.count - a.count || a.operation.localeCompare(b.operation) || a.keyPrefix.localeCompare(b.keyPrefix));
}

/** GET-class and PUT-class totals of some counts. */
export function billedTotals(counts: readonly RequestCount[]): { gets: number; puts: number } {
  const sum = (billing: BillingClass): number => counts.filter((c) => c.billing === billing).reduce((n, c) => n + c.count, 0);
  return { gets: sum('get'), puts: sum('put') };
}
