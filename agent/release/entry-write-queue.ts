import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ioError } from './release-dir';
import { UnpackError } from './unpack-error';
import { WriterShard, type FileOp, type WriteOp } from './writer-shard';

export interface EntryWriteQueueOptions {
  /** The (existing, private) dir every path is created in. */
  readonly root: string;
  /** Called once, with the first failure of a writer thread (UNPACK_IO_FAILED). */
  readonly onFailure: (error: UnpackError) => void;
  /** Batch arenas (file data) posted and not yet written at most; past it `saturated` is true. @default 8 MiB */
  readonly maxInFlightBytes?: number;
  /** Writer threads. @default os.availableParallelism() clamped to 2-4 */
  readonly threads?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_MAX_IN_FLIGHT_BYTES = 8 * MiB;
/** Most writer threads one unpack may start. */
export const MAX_WRITER_THREADS = 64;
/** Operations of one batch. */
const MAX_BATCH_OPS = 1024;
/** Operation numbers live in an Int32Array shared with the threads. */
const MAX_OPS = 2 ** 31 - 1;

/** Where the entries of one directory are created: which thread, after which operation. */
interface DirPlace {
  /** The shard that creates this directory's entries. */
  readonly shard: number;
  /** The operation that created the directory (-1: the root, which exists) and its shard. */
  readonly op: number;
  readonly ranOn: number;
}

/** The writer threads to start by default: one per core, at least 2 and at most 4. */
export function defaultWriterThreads(): number {
  return Math.min(4, Math.max(2, availableParallelism()));
}

/**
 * The main thread's side of the entry writer threads (entry-write-worker.js). It takes the
 * operations EntryExtractor checked, in tar order, and hands each directory's entries to one
 * thread (directories round robin), so threads create files side by side in different
 * directories while the main thread keeps reading, inflating and parsing. Order still holds
 * where it matters: a thread runs its operations in order; an operation in a directory another
 * thread created waits (Atomics) until that mkdir is done; a hardlink goes to the thread that
 * created its target. File data is copied into batch arenas; past `maxInFlightBytes` the
 * caller pauses its entry until `onDrain`.
 */
export class EntryWriteQueue {
  readonly #options: EntryWriteQueueOptions;
  readonly #shards: WriterShard[];
  readonly #maxInFlightBytes: number;
  readonly #dirs = new Map<string, DirPlace>();
  /** Hardlinks made so far and their thread (not their dir's): a link to a link goes there too. */
  readonly #linkShards = new Map<string, number>();
  #nextOp = 0;
  #nextDirShard = 1;
  #file: { readonly path: string; readonly mode: number; readonly place: DirPlace; opened: boolean; last: FileOp | undefined } | undefined;
  #scheduled = false;
  #inFlightBytes = 0;
  #drainWaiters: (() => void)[] = [];
  #flushWaiters: { readonly resolve: () => void; readonly reject: (error: UnpackError) => void }[] = [];
  #failure: UnpackError | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: EntryWriteQueueOptions) {
    this.#options = options;
    this.#maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    const threads = options.threads ?? defaultWriterThreads();
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WRITER_THREADS) {
      throw new Error(`writer threads must be 1-${MAX_WRITER_THREADS}, got ${threads}`);
    }
    // [0..threads-1]: the last operation each thread finished; [threads]: 1 once one failed.
    const progress = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (threads + 1));
    new Int32Array(progress).fill(-1, 0, threads);
    this.#shards = Array.from(
      { length: threads },
      (_, shard) =>
        new WriterShard(shard, progress, {
          done: (bytes) => this.#onDone(bytes),
          failed: (error) => this.#fail(error),
        }),
    );
    this.#dirs.set(path.resolve(options.root), { shard: 0, op: -1, ranOn: 0 });
  }

  /** True while more file data is in flight than allowed: pause the producer until `onDrain`. */
  get saturated(): boolean {
    return this.#inFlightBytes >= this.#maxInFlightBytes;
  }

  /** Calls `resume` once in-flight data fell below half the limit (never after a failure). */
  onDrain(resume: () => void): void {
    if (!this.saturated) resume();
    else this.#drainWaiters.push(resume);
  }

  dir(absolute: string, mode: number): void {
    const place = this.#placeOf(absolute);
    const op = this.#push(place.shard, place, { k: 'dir', path: absolute, mode });
    if (op === undefined) return;
    const shard = this.#nextDirShard++ % this.#shards.length;
    this.#dirs.set(absolute, { shard, op: op.i, ranOn: place.shard });
  }

  symlink(absolute: string, target: string): void {
    const place = this.#placeOf(absolute);
    this.#push(place.shard, place, { k: 'symlink', path: absolute, target });
  }

  /** On the thread that created `existingAbsolute` (after it, so it exists), once the link's dir exists. */
  link(absolute: string, existingAbsolute: string): void {
    const shard = this.#linkShards.get(existingAbsolute) ?? this.#placeOf(existingAbsolute).shard;
    if (this.#push(shard, this.#placeOf(absolute), { k: 'link', path: absolute, target: existingAbsolute }) !== undefined) {
      this.#linkShards.set(absolute, shard);
    }
  }

  /** Starts a new file (created O_EXCL | O_NOFOLLOW with `mode`); its data follows with `fileData`. */
  fileStart(absolute: string, mode: number): void {
    this.#file = { path: absolute, mode, place: this.#placeOf(absolute), opened: false, last: undefined };
  }

  /** Appends data to the file started last. The chunk is copied; the caller may reuse it. */
  fileData(chunk: Buffer): void {
    const file = this.#file;
    if (file === undefined) throw new Error('fileData without fileStart');
    if (this.#failure !== undefined || this.#closed !== undefined || chunk.length === 0) return;
    const shard = this.#shards[file.place.shard] as WriterShard;
    const { arena, off } = shard.reserve(chunk.length);
    chunk.copy(arena, off);
    const last = file.last;
    // Still the batch's last op (so the same arena), right before this data: extend it.
    if (last !== undefined && shard.ops[shard.ops.length - 1] === last && last.off + last.len === off) {
      last.len += chunk.length;
      return;
    }
    const op = this.#push(file.place.shard, file.opened ? undefined : file.place, {
      k: 'file',
      path: file.path,
      mode: file.mode,
      off,
      len: chunk.length,
      open: !file.opened,
      close: false,
    });
    file.opened = true;
    file.last = op?.k === 'file' ? op : undefined;
  }

  /** Ends the file started last: mode set exactly, file closed. */
  fileEnd(): void {
    const file = this.#file;
    if (file === undefined) throw new Error('fileEnd without fileStart');
    this.#file = undefined;
    const shard = this.#shards[file.place.shard] as WriterShard;
    if (file.last !== undefined && shard.ops[shard.ops.length - 1] === file.last) {
      file.last.close = true;
      return;
    }
    this.#push(file.place.shard, file.opened ? undefined : file.place, {
      k: 'file',
      path: file.path,
      mode: file.mode,
      off: 0,
      len: 0,
      open: !file.opened,
      close: true,
    });
  }

  /** Resolves once every queued operation is done; rejects with the first failure. */
  flush(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#sendAll();
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

  /** Where entries of `absolute`'s parent go; the parent was queued before (or is the root). */
  #placeOf(absolute: string): DirPlace {
    const place = this.#dirs.get(path.dirname(absolute));
    if (place === undefined) throw new Error(`entry write queue: ${absolute} is queued before its parent directory`);
    return place;
  }

  /** Queues `fields` on `shard`, after the mkdir of `after` (undefined: no wait). */
  #push(shard: number, after: DirPlace | undefined, fields: DistributiveOmit<WriteOp, 'i' | 'dep' | 'ds'>): WriteOp | undefined {
    if (this.#failure !== undefined || this.#closed !== undefined) return undefined;
    if (this.#nextOp >= MAX_OPS) {
      this.#fail(new UnpackError('UNPACK_TOO_MANY_FILES', `the artifact needs more than ${MAX_OPS} filesystem operations`));
      return undefined;
    }
    const op = { ...fields, i: this.#nextOp++, dep: after?.op ?? -1, ds: after?.ranOn ?? 0 } as WriteOp;
    const target = this.#shards[shard] as WriterShard;
    target.ops.push(op);
    if (target.ops.length >= MAX_BATCH_OPS) {
      // All shards at once: an operation another thread waits for is never held back.
      this.#sendAll();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#sendAll();
      });
    }
    return op;
  }

  #sendAll(): void {
    if (this.#failure !== undefined || this.#closed !== undefined) return;
    for (const shard of this.#shards) this.#inFlightBytes += shard.send();
    // The open file's next chunk goes into a new batch: a new op, which must not re-open it.
    if (this.#file !== undefined) this.#file.last = undefined;
  }

  #idle(): boolean {
    return this.#shards.every((shard) => shard.idle);
  }

  #onDone(bytes: number): void {
    this.#inFlightBytes -= bytes;
    if (this.#inFlightBytes < this.#maxInFlightBytes / 2 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
