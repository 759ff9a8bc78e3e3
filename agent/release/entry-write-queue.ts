import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ioError } from './release-dir';
import type { UnpackError } from './unpack-error';

/** One checked filesystem operation, as entry-write-worker.js runs it (same words there). */
type WriteOp =
  | { readonly k: 'dir'; readonly path: string; readonly mode: number }
  | { readonly k: 'file'; readonly path: string; readonly mode: number; readonly off: number; len: number; readonly open: boolean; close: boolean }
  | { readonly k: 'symlink'; readonly path: string; readonly target: string }
  | { readonly k: 'link'; readonly path: string; readonly target: string };

type FileOp = Extract<WriteOp, { k: 'file' }>;

/** What the writer thread answers: a batch done, or the first failure. */
type WorkerReply =
  | { readonly done: number; readonly arena: ArrayBuffer | undefined }
  | { readonly failed: number; readonly error: { message: string; code?: string; syscall?: string; path?: string; errno?: number } };

export interface EntryWriteQueueOptions {
  /** Called once, with the first failure of the writer thread (UNPACK_IO_FAILED). */
  readonly onFailure: (error: UnpackError) => void;
  /** Batch arenas (file data) queued or being written at most; past it `saturated` is true. @default 8 MiB */
  readonly maxInFlightBytes?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_MAX_IN_FLIGHT_BYTES = 8 * MiB;
/**
 * File data of one batch: its arena, transferred to the thread and back (not copied, not left
 * to the thread's garbage collector), then reused.
 */
const ARENA_BYTES = 256 * 1024;
/** Operations of one batch. */
const MAX_BATCH_OPS = 1024;
const WORKER_SCRIPT = path.join(__dirname, 'entry-write-worker.js');

/**
 * The main thread's side of the entry writer thread (entry-write-worker.js): queues checked
 * operations in order, copies file data into batch arenas, and posts a batch when its arena or
 * op list is full or, at the latest, once the current burst of parsing is over (setImmediate).
 * The thread runs every operation in order, so a parent dir exists before its children and a
 * hardlink's target before the link, exactly as if each were awaited. File data in flight is
 * bounded: past `maxInFlightBytes` the caller pauses its entry until `onDrain`.
 */
export class EntryWriteQueue {
  readonly #worker: Worker;
  readonly #options: EntryWriteQueueOptions;
  readonly #maxInFlightBytes: number;
  #ops: WriteOp[] = [];
  #arena: Buffer | undefined;
  #arenaUsed = 0;
  /** The open file's last op in the current batch, to extend or close. */
  #fileOp: FileOp | undefined;
  #file: { readonly path: string; readonly mode: number; opened: boolean } | undefined;
  #scheduled = false;
  #sentSeq = 0;
  #doneSeq = 0;
  /** Arena bytes of each batch posted and not yet done, oldest first. */
  readonly #pending: { readonly seq: number; readonly bytes: number }[] = [];
  /** Arenas the thread gave back, for the next batches. */
  readonly #freeArenas: Buffer[] = [];
  #inFlightBytes = 0;
  #drainWaiters: (() => void)[] = [];
  #flushWaiters: { readonly resolve: () => void; readonly reject: (error: UnpackError) => void }[] = [];
  #failure: UnpackError | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: EntryWriteQueueOptions) {
    this.#options = options;
    this.#maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    this.#worker = new Worker(WORKER_SCRIPT, { stdout: false, stderr: false });
    this.#worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    this.#worker.on('error', (error: unknown) => this.#fail(error));
    this.#worker.on('exit', (code: number) => {
      if (this.#closed === undefined) this.#fail(new Error(`the entry writer thread exited with code ${code}`));
    });
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
    this.#push({ k: 'dir', path: absolute, mode });
  }

  symlink(absolute: string, target: string): void {
    this.#push({ k: 'symlink', path: absolute, target });
  }

  link(absolute: string, existingAbsolute: string): void {
    this.#push({ k: 'link', path: absolute, target: existingAbsolute });
  }

  /** Starts a new file (created O_EXCL | O_NOFOLLOW with `mode`); its data follows with `fileData`. */
  fileStart(absolute: string, mode: number): void {
    this.#file = { path: absolute, mode, opened: false };
    this.#fileOp = undefined;
  }

  /** Appends data to the file started last. The chunk is copied; the caller may reuse it. */
  fileData(chunk: Buffer): void {
    const file = this.#file;
    if (file === undefined) throw new Error('fileData without fileStart');
    if (this.#failure !== undefined || chunk.length === 0) return;
    if (this.#arena !== undefined && this.#arenaUsed + chunk.length > this.#arena.length) this.#send();
    const arena = (this.#arena ??= this.#takeArena(chunk.length));
    const off = this.#arenaUsed;
    chunk.copy(arena, off);
    this.#arenaUsed += chunk.length;
    const last = this.#fileOp;
    if (last !== undefined && last.off + last.len === off) {
      last.len += chunk.length;
      return;
    }
    const op: FileOp = { k: 'file', path: file.path, mode: file.mode, off, len: chunk.length, open: !file.opened, close: false };
    file.opened = true;
    this.#fileOp = op;
    this.#push(op);
  }

  /** Ends the file started last: mode set exactly, file closed. */
  fileEnd(): void {
    const file = this.#file;
    if (file === undefined) throw new Error('fileEnd without fileStart');
    this.#file = undefined;
    if (this.#fileOp !== undefined) {
      this.#fileOp.close = true;
      this.#fileOp = undefined;
      return;
    }
    this.#push({ k: 'file', path: file.path, mode: file.mode, off: 0, len: 0, open: !file.opened, close: true });
  }

  /** Resolves once every queued operation is done; rejects with the writer's first failure. */
  flush(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#send();
    if (this.#doneSeq === this.#sentSeq) return Promise.resolve();
    return new Promise((resolve, reject) => this.#flushWaiters.push({ resolve, reject }));
  }

  /**
   * Stops the writer thread; resolves once it is gone, so nothing is written after this
   * (an operation running when it is asked to stop completes first). Safe to call twice.
   */
  close(): Promise<void> {
    this.#closed ??= this.#worker.terminate().then(() => undefined);
    return this.#closed;
  }

  #push(op: WriteOp): void {
    if (this.#failure !== undefined || this.#closed !== undefined) return;
    this.#ops.push(op);
    if (this.#ops.length >= MAX_BATCH_OPS) {
      this.#send();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#send();
      });
    }
  }

  /** Posts the current batch (ops plus its arena, transferred). */
  #send(): void {
    if (this.#ops.length === 0 || this.#failure !== undefined || this.#closed !== undefined) return;
    const seq = ++this.#sentSeq;
    const arena = this.#arena === undefined ? undefined : arenaBuffer(this.#arena);
    const bytes = arena?.byteLength ?? 0;
    this.#pending.push({ seq, bytes });
    this.#inFlightBytes += bytes;
    this.#worker.postMessage({ seq, ops: this.#ops, arena }, arena === undefined ? [] : [arena]);
    this.#ops = [];
    this.#arena = undefined;
    this.#arenaUsed = 0;
    // The open file's next chunk goes into a new arena: a new op, which must not re-open it.
    this.#fileOp = undefined;
  }

  #onReply(reply: WorkerReply): void {
    if ('failed' in reply) {
      const { message, ...fields } = reply.error;
      this.#fail(Object.assign(new Error(message), fields));
      return;
    }
    this.#doneSeq = reply.done;
    if (reply.arena !== undefined && reply.arena.byteLength === ARENA_BYTES) this.#freeArenas.push(Buffer.from(reply.arena));
    while (this.#pending.length > 0 && (this.#pending[0]?.seq ?? Infinity) <= reply.done) {
      this.#inFlightBytes -= this.#pending.shift()?.bytes ?? 0;
    }
    if (this.#inFlightBytes < this.#maxInFlightBytes / 2 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resume of waiters) resume();
    }
    if (this.#doneSeq === this.#sentSeq && this.#ops.length === 0) {
      const waiters = this.#flushWaiters;
      this.#flushWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  /** A pooled arena, or a new one (bigger than usual for a chunk that does not fit one). */
  #takeArena(bytes: number): Buffer {
    if (bytes <= ARENA_BYTES) return this.#freeArenas.pop() ?? Buffer.allocUnsafeSlow(ARENA_BYTES);
    return Buffer.allocUnsafeSlow(bytes);
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    const failure = ioError('write an entry', error);
    this.#failure = failure;
    this.#drainWaiters = [];
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const waiter of waiters) waiter.reject(failure);
    this.#options.onFailure(failure);
  }
}

/** An arena's whole ArrayBuffer (allocUnsafeSlow: its own, not Buffer's pool), to transfer. */
function arenaBuffer(arena: Buffer): ArrayBuffer {
  const { buffer } = arena;
  if (!(buffer instanceof ArrayBuffer) || arena.byteOffset !== 0) throw new Error('a batch arena must own a whole ArrayBuffer');
  return buffer;
}
