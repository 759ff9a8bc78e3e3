/** What the issue fixes for `npm run bench:artifact`, and what the environment may change. */

/** The release store every push and fetch uses, on the local S3 server. */
export const BUCKET = 'bench';
export const STORE_PREFIX = 'app';
export const STORE_URL = `s3://${BUCKET}/${STORE_PREFIX}`;
/** Where the tar baseline uploads its archive (outside the store's prefix). */
export const BASELINE_PREFIX = 'tar-baseline';
export const REGION = 'us-east-1';

/**
 * fetch+unpack may take this much longer than `tar xzf`, push than `tar czf` + upload, and the
 * big-file fetch+unpack than `tar xzf` + `sync -f` of the same artifact.
 */
export const TIME_FACTOR = 1.3;
/** fetch+unpack (durable) may take at most this times `tar xzf` + `sync -f` (as durable). */
export const DURABLE_TIME_FACTOR = 1.0;
/** The agent's fetch+unpack must stay under this peak RSS (MB = 2^20 bytes). */
export const FETCH_RSS_LIMIT_MB = 150;

export type PushVia = 'cli' | 'runner';

export interface BenchSettings {
  readonly runs: number;
  readonly mb: number;
  /** MiB of the big-file case's one file; 0: that case does not run. */
  readonly bigMib: number;
  /** 'cli' or 'runner' forced by BENCH_PUSH; undefined: decided from what the built CLI supports. */
  readonly pushVia: PushVia | undefined;
}

/**
 * BENCH_RUNS (default 3), BENCH_MB (default 100), BENCH_BIG_MB (MiB of the big-file case's
 * file, default 1024; 0 skips that case), BENCH_PUSH (cli | runner; default: auto).
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const runsText = env['BENCH_RUNS'] ?? '3';
  const runs = Number(runsText);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    throw new Error(`BENCH_RUNS must be an integer 1-50, got ${JSON.stringify(runsText)}`);
  }
  const mbText = env['BENCH_MB'] ?? '100';
  const mb = Number(mbText);
  if (!Number.isFinite(mb) || mb < 1 || mb > 2000) {
    throw new Error(`BENCH_MB must be a number 1-2000, got ${JSON.stringify(mbText)}`);
  }
  const bigText = env['BENCH_BIG_MB'] ?? '1024';
  const bigMib = Number(bigText);
  if (!Number.isInteger(bigMib) || bigMib < 0 || bigMib > 4096) {
    throw new Error(`BENCH_BIG_MB must be an integer 0-4096 (0 skips the big-file case), got ${JSON.stringify(bigText)}`);
  }
  const push = env['BENCH_PUSH'];
  if (push !== undefined && push !== '' && push !== 'cli' && push !== 'runner') {
    throw new Error(`BENCH_PUSH must be cli or runner, got ${JSON.stringify(push)}`);
  }
  return { runs, mb, bigMib, pushVia: push === 'cli' || push === 'runner' ? push : undefined };
}

/** A generous limit for one timed step: 2 minutes plus 3 s per MB of tree. */
export function stepTimeoutMs(mb: number): number {
  return 120_000 + Math.round(mb * 3_000);
}
