/**
 * Where the agent's fetch + unpack spends its time, per thread, measured inside the bench's
 * fetch+unpack child (never in the agent: the agent's code runs unchanged, this file wraps some
 * of its functions from the outside, like profile-unpack.ts's timeExport):
 *
 * - main thread (event loop), split into
 *   - hash     HashingStream's transform (size count + sha256 of the gzip bytes)
 *   - parse    TarReader.write (the tar framing and headers, and handing each file's data
 *              to the writer threads' batches), without the entry checks
 *   - checks   EntryExtractor.extract (path/type/limit checks, handing the entry to the writers)
 *   - fetch    everything else the main thread did while busy: the HTTP body and S3 SDK, but
 *              also stream plumbing, gunzip's callbacks that hand on inflated bytes, and GC
 *   - busy     the main thread's total active time (event loop utilization)
 * - inflate    the libuv pool: from handing gunzip a chunk to it having inflated and pushed it
 *              (the time a chunk waits for a pool thread counts too)
 * - writes     the writer threads (entry-write-worker.js): their active time, summed
 * - sync       syncTree (fsync of every file and dir, then of the release dir), wall time
 *
 * `install()` once per process, before the unpack; `begin()` right before it, `end()` right after.
 */
import { createRequire } from 'node:module';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { TransformCallback } from 'node:stream';
import { HashingStream } from '../../../agent/fs/hashing-stream';
import { EntryExtractor } from '../../../agent/release/entry-extractor';
import { TarReader } from '../../../agent/release/tar/tar-reader';
import * as releaseDir from '../../../agent/release/release-dir';

/** Milliseconds per stage of one fetch + unpack, to 0.1 ms. */
export interface UnpackProfile {
  readonly fetchMs: number;
  readonly hashMs: number;
  readonly inflateMs: number;
  readonly parseMs: number;
  readonly checksMs: number;
  readonly writesMs: number;
  readonly syncMs: number;
  /** The main thread's active time (fetch + hash + parse + checks + the rest of its event loop). */
  readonly mainBusyMs: number;
  /** Writer threads started. */
  readonly writerThreads: number;
}

export const PROFILE_STAGES = ['fetchMs', 'hashMs', 'inflateMs', 'parseMs', 'checksMs', 'writesMs', 'syncMs', 'mainBusyMs'] as const;

/** Which thread each stage runs on (for the table). */
export const STAGE_THREAD: Readonly<Record<(typeof PROFILE_STAGES)[number], string>> = {
  fetchMs: 'main (the rest: HTTP body, SDK, stream plumbing, GC)',
  hashMs: 'main',
  inflateMs: 'libuv pool',
  parseMs: 'main',
  checksMs: 'main',
  writesMs: 'writer threads',
  syncMs: 'libuv pool (fsync)',
  mainBusyMs: 'main (total)',
};

interface Totals {
  hash: number;
  inflate: number;
  parseOuter: number;
  checksInParse: number;
  checks: number;
  sync: number;
  inParse: number;
}

const requireBuiltin = createRequire(__filename);

/** Collects one UnpackProfile at a time; install() wraps the agent's functions once. */
export class UnpackProfiler {
  #totals: Totals = zeroTotals();
  #elu: EventLoopUtilization | undefined;
  /** Writer threads started since begin(), with their last active time seen. */
  readonly #writers = new Map<object, number>();
  /** Puts back what install() replaced, last first; empty when not installed. */
  readonly #restore: (() => void)[] = [];

  install(): void {
    if (this.#restore.length > 0) return;
    const t = (): Totals => this.#totals;
    const restore = this.#restore;

    restore.push(timeMethod(HashingStream.prototype, '_transform', {
      done: (ms) => {
        t().hash += ms;
      },
    }));
    restore.push(timeMethod(TarReader.prototype, 'write', {
      enter: () => {
        t().inParse += 1;
      },
      done: (ms) => {
        t().inParse -= 1;
        t().parseOuter += ms;
      },
    }));
    // extract only: timing data/end too (two more calls per file) would cost the main thread
    // more than what it measures.
    restore.push(timeMethod(EntryExtractor.prototype, 'extract', {
      done: (ms) => {
        t().checks += ms;
        if (t().inParse > 0) t().checksInParse += ms;
      },
    }));
    const releaseDirExports = releaseDir as unknown as Record<string, unknown>;
    const syncTree = releaseDirExports['syncTree'];
    if (typeof syncTree !== 'function') throw new Error('release-dir no longer exports syncTree');
    releaseDirExports['syncTree'] = async (...args: unknown[]): Promise<unknown> => {
      const started = performance.now();
      try {
        return await (syncTree as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        t().sync += performance.now() - started;
      }
    };
    restore.push(() => {
      releaseDirExports['syncTree'] = syncTree;
    });

    // zlib's factories are read-only; its classes' prototypes are not. Own property on
    // Gunzip.prototype: only gunzip streams are timed.
    const zlib = requireBuiltin('node:zlib') as typeof import('node:zlib');
    const transform: unknown = Reflect.get(zlib.Gunzip.prototype, '_transform');
    if (typeof transform !== 'function') throw new Error('zlib.Gunzip has no _transform');
    const timedTransform = function (this: unknown, chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): unknown {
      const started = performance.now();
      return Reflect.apply(transform, this, [
        chunk,
        encoding,
        (error?: Error | null, data?: unknown): void => {
          t().inflate += performance.now() - started;
          callback(error, data);
        },
      ]);
    };
    Object.defineProperty(zlib.Gunzip.prototype, '_transform', { value: timedTransform, writable: true, configurable: true });
    restore.push(() => {
      Reflect.deleteProperty(zlib.Gunzip.prototype, '_transform');
    });

    const workerThreads = requireBuiltin('node:worker_threads') as typeof import('node:worker_threads');
    const writers = this.#writers;
    const BaseWorker = workerThreads.Worker;
    class TimedWorker extends BaseWorker {
      constructor(...args: ConstructorParameters<typeof BaseWorker>) {
        super(...args);
        writers.set(this, 0);
        // The writer's work is synchronous inside its message handler: its active time up to
        // its last reply is the time it spent writing. Read while it is alive (an exited worker
        // reports none).
        this.on('message', () => {
          if (writers.has(this)) writers.set(this, this.performance.eventLoopUtilization().active);
        });
      }
    }
    (workerThreads as { Worker: typeof BaseWorker }).Worker = TimedWorker;
    restore.push(() => {
      (workerThreads as { Worker: typeof BaseWorker }).Worker = BaseWorker;
    });
  }

  /** Puts back every function install() wrapped (a test process goes on running other code). */
  uninstall(): void {
    for (let undo = this.#restore.pop(); undo !== undefined; undo = this.#restore.pop()) undo();
  }

  begin(): void {
    this.#totals = zeroTotals();
    this.#writers.clear();
    this.#elu = performance.eventLoopUtilization();
  }

  end(): UnpackProfile {
    if (this.#elu === undefined) throw new Error('UnpackProfiler.end() without begin()');
    const busy = performance.eventLoopUtilization(this.#elu).active;
    const t = this.#totals;
    const parse = Math.max(0, t.parseOuter - t.checksInParse);
    const writes = [...this.#writers.values()].reduce((sum, ms) => sum + ms, 0);
    const profile: UnpackProfile = {
      fetchMs: tenth(Math.max(0, busy - t.hash - parse - t.checks)),
      hashMs: tenth(t.hash),
      inflateMs: tenth(t.inflate),
      parseMs: tenth(parse),
      checksMs: tenth(t.checks),
      writesMs: tenth(writes),
      syncMs: tenth(t.sync),
      mainBusyMs: tenth(busy),
      writerThreads: this.#writers.size,
    };
    this.#elu = undefined;
    this.#writers.clear();
    return profile;
  }
}

function tenth(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function zeroTotals(): Totals {
  return { hash: 0, inflate: 0, parseOuter: 0, checksInParse: 0, checks: 0, sync: 0, inParse: 0 };
}

/**
 * Replaces the synchronous method `proto[name]` with one that times each call (`enter` before
 * it); returns what puts the original back.
 */
function timeMethod(proto: object, name: string, hooks: { readonly enter?: () => void; readonly done: (ms: number) => void }): () => void {
  const original: unknown = Reflect.get(proto, name);
  if (typeof original !== 'function') throw new Error(`${name} is not a method`);
  const timed = function (this: unknown, ...args: unknown[]): unknown {
    hooks.enter?.();
    const started = performance.now();
    try {
      return Reflect.apply(original, this, args);
    } finally {
      hooks.done(performance.now() - started);
    }
  };
  const own = Object.getOwnPropertyDescriptor(proto, name);
  Object.defineProperty(proto, name, { value: timed, writable: true, configurable: true });
  return () => {
    if (own === undefined) Reflect.deleteProperty(proto, name);
    else Object.defineProperty(proto, name, own);
  };
}
