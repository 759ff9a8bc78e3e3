import { performance } from 'node:perf_hooks';
import { ioError } from './release-dir';
import { UnpackError } from './unpack-error';
import {
  FLAG_CLOSE,
  FLAG_OPEN,
  OP_DIR,
  OP_FILE,
  OP_LINK,
  OP_SYMLINK,
  ARENA_BYTES,
  WriterShard,
  type OpKind,
  type RecordRef,
} from './writer-shard';
import { WriteRouter, type DirPlace } from './write-router';
import { defaultWriterThreads, MAX_WRITER_THREADS } from './writer-threads';

export interface EntryWriteQueueOptions {
  /** The (existing, private) dir every path is created in. */
  readonly root: string;
  /** Called once, with the first failure of a writer thread (UNPACK_IO_FAILED). */
  readonly onFailure: (error: UnpackError) => void;
  /** Batch arenas (file data) posted and not yet written at most; past it `saturated` is true. @default 4 MiB */
  readonly maxInFlightBytes?: number;
  /**
   * The most writer threads. `initialThreads` start; another joins once the caller had to wait
   * for the writers `growAfterWaitMs` in all (the filesystem is slow to create files: ext4
   * without a journal spends far more time per create after a mass delete, for instance), at the
   * next new subtree, which is its work: a release that has none left (one big file) never
   * starts a thread that would only idle (~10 MB of RSS each).
   * @default os.availableParallelism() - 1, clamped to 1-4 (defaultWriterThreads)
   */
  readonly threads?: number;
  /** Writer threads started at once (at most `threads`). @default 1 */
  readonly initialThreads?: number;
  /** How long the caller waits for the writers, in all, before another thread may join. @default 20 */
  readonly growAfterWaitMs?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_MAX_IN_FLIGHT_BYTES = 4 * MiB;
/**
 * The caller waiting this long in all for the writers (the filesystem is slow to create files)
 * lets another writer thread join: on a quick filesystem one thread keeps up, and a second only
 * costs CPU and memory (~10 MB).
 */
const GROW_AFTER_WAIT_MS = 20;
/** Operations of one batch. */
const MAX_BATCH_OPS = 1024;
/** Operation numbers live in an Int32Array shared with the threads. */
const MAX_OPS = 2 ** 31 - 1;

/** The file being streamed: where it goes and its last record (to extend or close). */
interface OpenFile {
  readonly path: string;
  readonly mode: number;
  readonly place: DirPlace;
  opened: boolean;
  last: { readonly op: number; readonly ref: RecordRef } | undefined;
}

/**
 * The main thread's side of the entry writer threads (entry-write-worker.js). It takes the
 * operations EntryExtractor checked, in tar order, and hands each subtree (SUBTREE_DEPTH) to one
 * thread, round robin, so threads create files side by side in different directories while the
 * main thread keeps reading, inflating and parsing. Order still holds where it matters: a thread
 * runs its operations in order; an operation in a directory another thread created waits
 * (Atomics) until that mkdir is done; a hardlink goes to the thread that created its target.
 * File data is copied into batch arenas; past `maxInFlightBytes` the caller pauses its entry
 * until `onDrain`.
 */
export class EntryWriteQueue {
  readonly #options: EntryWriteQueueOptions;
  readonly #shards: WriterShard[] = [];
  readonly #maxThreads: number;
  readonly #progress: SharedArrayBuffer;
  readonly #maxInFlightBytes: number;
  readonly #growAfterWaitMs: number;
  readonly #router: WriteRouter;
  /** Shards whose batch being filled holds an operation another shard's posted work waits for. */
  readonly #awaited = new Set<number>();
  #nextOp = 0;
  #file: OpenFile | undefined;
  #scheduled = false;
  #drainWaiters: (() => void)[] = [];
  /** When the caller started waiting for the writers, and how long it waited since the last thread started. */
  #waitStartedMs = 0;
  #waitedMs = 0;
  /** The writers kept the caller waiting long enough: a thread joins at the next new subtree. */
  #threadWanted = false;
  #flushWaiters: { readonly resolve: () => void; readonly reject: (error: UnpackError) => void }[] = [];
  #failure: UnpackError | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: EntryWriteQueueOptions) {
    this.#options = options;
    this.#maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    this.#growAfterWaitMs = options.growAfterWaitMs ?? GROW_AFTER_WAIT_MS;
    const threads = options.threads ?? defaultWriterThreads();
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WRITER_THREADS) {
      throw new Error(`writer threads must be 1-${MAX_WRITER_THREADS}, got ${threads}`);
    }
    this.#maxThreads = threads;
    this.#router = new WriteRouter(options.root);
    // [0..threads-1]: the last operation each thread finished; [threads]: 1 once one failed.
    this.#progress = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (threads + 1));
    new Int32Array(this.#progress).fill(-1, 0, threads);
    const initial = Math.min(threads, options.initialThreads ?? 1);
    for (let started = 0; started < initial; started++) this.#addThread();
  }

  /** True while more file data is in flight than allowed: pause the producer until `onDrain`. */
  get saturated(): boolean {
    return this.#inFlightBytes() >= this.#maxInFlightBytes;
  }

  /**
   * Calls `resume` once in-flight data fell below half the limit (never after a failure). The
   * writers keeping the caller waiting (`growAfterWaitMs` in all) lets another writer thread
   * join at the next new subtree, up to `threads`.
   */
  onDrain(resume: () => void): void {
    if (!this.saturated) {
      resume();
      return;
    }
    if (this.#drainWaiters.length === 0) this.#waitStartedMs = performance.now();
    this.#drainWaiters.push(resume);
  }

  /** Bytes of batch arenas allocated so far, over every writer thread (arenas are pooled). */
  get allocatedArenaBytes(): number {
    let bytes = 0;
    for (const shard of this.#shards) bytes += shard.allocatedBytes;
    return bytes;
  }

  /** Writer threads started so far. */
  get threads(): number {
    return this.#shards.length;
  }

  dir(absolute: string, mode: number): void {
    const parent = this.#router.placeOf(absolute);
    if (this.#threadWanted && this.#router.startsSubtree(parent)) {
      this.#threadWanted = false;
      this.#addThread();
    }
    const shard = this.#router.dirShard(parent, this.#shards.length);
    const op = this.#push(shard, parent, OP_DIR, 0, mode, absolute, '', undefined);
    if (op !== undefined) this.#router.addDir(absolute, parent, shard, op.op);
  }

  symlink(absolute: string, target: string): void {
    const place = this.#router.placeOf(absolute);
    this.#push(place.shard, place, OP_SYMLINK, 0, 0, absolute, target, undefined);
  }

  /** On the thread that created `existingAbsolute` (after it, so it exists), once the link's dir exists. */
  link(absolute: string, existingAbsolute: string): void {
    const shard = this.#router.linkShard(existingAbsolute);
    if (this.#push(shard, this.#router.placeOf(absolute), OP_LINK, 0, 0, absolute, existingAbsolute, undefined) !== undefined) {
      this.#router.addLink(absolute, shard);
    }
  }

  /** Starts a new file (created O_EXCL | O_NOFOLLOW with `mode`); its data follows with `fileData`. */
  fileStart(absolute: string, mode: number): void {
    this.#file = { path: absolute, mode, place: this.#router.placeOf(absolute), opened: false, last: undefined };
  }

  /**
   * Appends data to the file started last. The chunk is copied (into pooled batch arenas, over as
   * many records as it takes); the caller may reuse it.
   */
  fileData(chunk: Buffer): void {
    const file = this.#file;
    if (file === undefined) throw new Error('fileData without fileStart');
    const shard = this.#shards[file.place.shard] as WriterShard;
    const piece = Math.max(1, WriterShard.maxDataBytes(file.path));
    for (let rest = chunk; rest.length > 0; ) {
      // Right after the file's previous data in the same batch: one record, one write.
      if (file.last !== undefined && this.#failure === undefined && this.#closed === undefined) {
        rest = rest.subarray(shard.extend(file.last.ref, rest));
        if (rest.length === 0) return;
      }
      this.#appendFile(file, rest.subarray(0, piece), 0);
      if (this.#failure !== undefined || this.#closed !== undefined) return;
      rest = rest.subarray(piece);
    }
  }

  /** Ends the file started last: mode set exactly, file closed. */
  fileEnd(): void {
    const file = this.#file;
    if (file === undefined) throw new Error('fileEnd without fileStart');
    this.#file = undefined;
    const shard = this.#shards[file.place.shard] as WriterShard;
    if (file.last !== undefined && this.#failure === undefined && this.#closed === undefined && shard.close(file.last.ref)) return;
    this.#appendFile(file, undefined, FLAG_CLOSE);
  }

  #appendFile(file: OpenFile, data: Buffer | undefined, flags: number): void {
    const open = file.opened ? 0 : FLAG_OPEN;
    file.last = this.#push(file.place.shard, file.opened ? undefined : file.place, OP_FILE, flags | open, file.mode, file.path, '', data);
    file.opened = true;
  }

  /** Resolves once every queued operation is done; rejects with the first failure. */
  flush(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#sendAll(true);
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#flushWaiters.push({ resolve, reject }));
  }

  /**
   * Stops every writer thread; resolves once they are gone, so nothing is written after this
   * (an operation running when asked to stop completes first). Safe to call twice.
   */
  close(): Promise<void> {
    this.#closed ??= Promise.all(this.#shards.map((shard) => shard.stop())).then(() => undefined);
    return this.#closed;
  }

  #addThread(): void {
    const shard = this.#shards.length;
    this.#shards.push(new WriterShard(shard, this.#progress, { done: () => this.#onDone(), failed: (error) => this.#fail(error) }));
    this.#router.threadJoined(shard);
  }

  /** Numbers an operation and queues it on `shard`, after the mkdir of `after` (undefined: no wait). */
  #push(
    shard: number,
    after: DirPlace | undefined,
    kind: OpKind,
    flags: number,
    mode: number,
    absolute: string,
    target: string,
    data: Buffer | undefined,
  ): { readonly op: number; readonly ref: RecordRef } | undefined {
    if (this.#failure !== undefined || this.#closed !== undefined) return undefined;
    if (this.#nextOp >= MAX_OPS) {
      this.#fail(new UnpackError('UNPACK_TOO_MANY_FILES', `the artifact needs more than ${MAX_OPS} filesystem operations`));
      return undefined;
    }
    const op = this.#nextOp++;
    // Waiting on another thread's operation that is not even posted: post it next time.
    if (after !== undefined && after.shard !== shard && this.#shards[after.shard]?.holds(after.op)) this.#awaited.add(after.shard);
    const writer = this.#shards[shard] as WriterShard;
    const ref = writer.append({ kind, flags, mode, op, dep: after?.op ?? -1, depShard: after?.shard ?? 0, path: absolute, target, data });
    if (writer.records >= MAX_BATCH_OPS) this.#sendAll(true);
    else this.#schedule();
    return { op, ref };
  }

  /** Once the current burst of parsing is over, posts what should not wait (#sendAll). */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#sendAll(false);
    });
  }

  /**
   * Posts every shard's batch (`all`), or only those worth posting now: a batch holding an
   * operation another thread waits for (never held back), or a batch half full. The others keep
   * filling (until full, or `flush`): fewer, fuller batches, since each message wakes a thread
   * (on two cores, a context switch).
   */
  #sendAll(all: boolean): void {
    if (this.#failure !== undefined || this.#closed !== undefined) return;
    this.#shards.forEach((shard, index) => {
      if (all || this.#awaited.has(index) || shard.filled >= ARENA_BYTES / 2) shard.send();
    });
    this.#awaited.clear();
  }

  #idle(): boolean {
    return this.#shards.every((shard) => shard.idle);
  }

  #inFlightBytes(): number {
    let bytes = 0;
    for (const shard of this.#shards) bytes += shard.inFlightBytes;
    return bytes;
  }

  #onDone(): void {
    if (this.#shards.some((shard) => shard.records > 0)) this.#schedule();
    if (this.#drainWaiters.length > 0 && this.#inFlightBytes() < this.#maxInFlightBytes / 2) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      this.#waitedMs += performance.now() - this.#waitStartedMs;
      if (this.#waitedMs >= this.#growAfterWaitMs && this.#shards.length < this.#maxThreads) {
        this.#waitedMs = 0;
        this.#threadWanted = true;
      }
      for (const resume of waiters) resume();
    }
    if (this.#flushWaiters.length > 0 && this.#idle()) {
      const waiters = this.#flushWaiters;
      this.#flushWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    const failure = error instanceof UnpackError ? error : ioError('write an entry', error);
    this.#failure = failure;
    this.#drainWaiters = [];
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const waiter of waiters) waiter.reject(failure);
    this.#options.onFailure(failure);
  }
}
