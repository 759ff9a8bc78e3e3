import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * One checked filesystem operation, as entry-write-worker.js runs it (same words there). `i` is
 * its place in the order of all operations of the unpack; `dep`/`ds`, when `dep` is not -1, the
 * operation (and its shard) that must be done first: the one that created its parent directory.
 */
export type WriteOp = { readonly i: number; readonly dep: number; readonly ds: number } & (
  | { readonly k: 'dir'; readonly path: string; readonly mode: number }
  | { readonly k: 'file'; readonly path: string; readonly mode: number; readonly off: number; len: number; readonly open: boolean; close: boolean }
  | { readonly k: 'symlink'; readonly path: string; readonly target: string }
  | { readonly k: 'link'; readonly path: string; readonly target: string }
);

export type FileOp = Extract<WriteOp, { k: 'file' }>;

/** What a writer thread reports about a failure (an errno error's fields). */
export interface WriterFailure {
  readonly message: string;
  readonly code?: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly errno?: number;
}

export interface WriterShardEvents {
  /** A batch was done; `bytes` of arena are free again. */
  readonly done: (bytes: number) => void;
  /** The thread failed (an operation, or the thread itself). */
  readonly failed: (error: unknown) => void;
}

/** File data of one batch: its arena, transferred to the thread and back, then reused. */
export const ARENA_BYTES = 256 * 1024;
const WORKER_SCRIPT = path.join(__dirname, 'entry-write-worker.js');

/** What the writer thread answers: a batch done (its arena given back), or the first failure. */
type WorkerReply = { readonly done: number; readonly arena: ArrayBuffer | undefined } | { readonly failed: number; readonly error: WriterFailure };

/**
 * One writer thread and the batch being filled for it: operations in order, plus an arena that
 * holds their file data. `send` posts the batch (the arena transferred, not copied); the thread
 * answers each batch, giving the arena back for reuse.
 */
export class WriterShard {
  readonly #worker: Worker;
  readonly #events: WriterShardEvents;
  ops: WriteOp[] = [];
  #arena: Buffer | undefined;
  #arenaUsed = 0;
  #sentSeq = 0;
  #doneSeq = 0;
  /** Arena bytes of each batch posted and not yet done, oldest first. */
  readonly #pending: { readonly seq: number; readonly bytes: number }[] = [];
  readonly #freeArenas: Buffer[] = [];
  #stopping = false;

  /** `progress`: the shared Int32Array the writer threads wait on (entry-write-worker.js). */
  constructor(shard: number, progress: SharedArrayBuffer, events: WriterShardEvents) {
    this.#events = events;
    this.#worker = new Worker(WORKER_SCRIPT, {
      workerData: { shard, progress },
      stdout: false,
      stderr: false,
      // It holds a few batches at a time; the arenas are outside its heap.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 },
    });
    this.#worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    this.#worker.on('error', (error: unknown) => events.failed(error));
    this.#worker.on('exit', (code: number) => {
      if (!this.#stopping) events.failed(new Error(`an entry writer thread exited with code ${code}`));
    });
  }

  /** Every batch posted is done. */
  get idle(): boolean {
    return this.#doneSeq === this.#sentSeq && this.ops.length === 0;
  }

  /** Where `bytes` of file data go in the current arena (a new or pooled one when it is full). */
  reserve(bytes: number): { readonly arena: Buffer; readonly off: number } {
    if (this.#arena !== undefined && this.#arenaUsed + bytes > this.#arena.length) this.send();
    const arena = (this.#arena ??= this.#takeArena(bytes));
    const off = this.#arenaUsed;
    this.#arenaUsed += bytes;
    return { arena, off };
  }

  /** Posts the current batch, if any; returns the arena bytes it holds (0 without data). */
  send(): number {
    if (this.ops.length === 0 || this.#stopping) return 0;
    const seq = ++this.#sentSeq;
    const arena = this.#arena === undefined ? undefined : arenaBuffer(this.#arena);
    const bytes = arena?.byteLength ?? 0;
    this.#pending.push({ seq, bytes });
    this.#worker.postMessage({ seq, ops: this.ops, arena }, arena === undefined ? [] : [arena]);
    this.ops = [];
    this.#arena = undefined;
    this.#arenaUsed = 0;
    return bytes;
  }

  /** Stops the thread; resolves once it is gone. */
  stop(): Promise<void> {
    this.#stopping = true;
    return this.#worker.terminate().then(() => undefined);
  }

  #onReply(reply: WorkerReply): void {
    if ('failed' in reply) {
      const { message, ...fields } = reply.error;
      this.#events.failed(Object.assign(new Error(message), fields));
      return;
    }
    this.#doneSeq = reply.done;
    if (reply.arena !== undefined && reply.arena.byteLength === ARENA_BYTES) this.#freeArenas.push(Buffer.from(reply.arena));
    let bytes = 0;
    while (this.#pending.length > 0 && (this.#pending[0]?.seq ?? Infinity) <= reply.done) bytes += this.#pending.shift()?.bytes ?? 0;
    this.#events.done(bytes);
  }

  /** A pooled arena, or a new one (bigger than usual for a chunk that does not fit one). */
  #takeArena(bytes: number): Buffer {
    if (bytes <= ARENA_BYTES) return this.#freeArenas.pop() ?? Buffer.allocUnsafeSlow(ARENA_BYTES);
    return Buffer.allocUnsafeSlow(bytes);
  }
}

/** An arena's whole ArrayBuffer (allocUnsafeSlow: its own, not Buffer's pool), to transfer. */
function arenaBuffer(arena: Buffer): ArrayBuffer {
  const { buffer } = arena;
  if (!(buffer instanceof ArrayBuffer) || arena.byteOffset !== 0) throw new Error('a batch arena must own a whole ArrayBuffer');
  return buffer;
}
