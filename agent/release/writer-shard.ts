import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A batch is one ArrayBuffer of records, back to back, transferred to the writer thread (not
 * copied, not serialised) and back. Record layout (little-endian; entry-write-worker.js reads the
 * same layout):
 *
 *   0 u8 kind  1 u8 flags  2 u16 mode  4 i32 op  8 i32 dep  12 u16 depShard  14 u16 (0)
 *   16 u32 pathBytes  20 u32 targetBytes  24 u32 dataBytes  28 path, then target, then data
 *
 * `op` is the record's place in the order of all operations of the unpack; when `dep` is not -1,
 * operation `dep` of thread `depShard` (the mkdir of the record's directory) must be done first.
 * Paths are UTF-8 (never NUL: every entry path and link target was checked).
 */
export const OP_DIR = 1;
export const OP_FILE = 2;
export const OP_SYMLINK = 3;
export const OP_LINK = 4;
/** OP_FILE: create the file first (O_EXCL | O_NOFOLLOW) / set its mode and close it after the data. */
export const FLAG_OPEN = 1;
export const FLAG_CLOSE = 2;
const HEADER_BYTES = 28;

export type OpKind = typeof OP_DIR | typeof OP_FILE | typeof OP_SYMLINK | typeof OP_LINK;

export interface OpRecord {
  readonly kind: OpKind;
  readonly flags: number;
  readonly mode: number;
  readonly op: number;
  readonly dep: number;
  readonly depShard: number;
  readonly path: string;
  readonly target: string;
  readonly data: Buffer | undefined;
}

/** A record written into the current batch, to extend or close later. */
export interface RecordRef {
  readonly batch: number;
  readonly off: number;
}

/** What a writer thread reports about a failure (an errno error's fields). */
export interface WriterFailure {
  readonly message: string;
  readonly code?: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly errno?: number;
}

export interface WriterShardEvents {
  /** A batch was done (its arena is free again). */
  readonly done: () => void;
  /** The thread failed (an operation, or the thread itself). */
  readonly failed: (error: unknown) => void;
}

/** One batch's arena; a record that does not fit one gets an arena of its own. */
export const ARENA_BYTES = 256 * 1024;
const WORKER_SCRIPT = path.join(__dirname, 'entry-write-worker.js');

/** What the writer thread answers: a batch done (its arena given back), or the first failure. */
type WorkerReply = { readonly done: number; readonly arena: ArrayBuffer } | { readonly failed: number; readonly error: WriterFailure };

/**
 * One writer thread and the batch being filled for it. `send` posts the batch; the thread
 * answers each batch in order, giving the arena back for reuse.
 */
export class WriterShard {
  readonly #worker: Worker;
  readonly #events: WriterShardEvents;
  #arena: Buffer | undefined;
  #used = 0;
  #records = 0;
  #lastRecord = -1;
  /** The first operation in the batch being filled. */
  #firstOp = -1;
  #sentSeq = 0;
  #doneSeq = 0;
  /** Arena bytes of each batch posted and not yet done, oldest first. */
  readonly #pending: { readonly seq: number; readonly bytes: number }[] = [];
  readonly #freeArenas: Buffer[] = [];
  #inFlightBytes = 0;
  #allocatedBytes = 0;
  #stopping = false;

  /** `progress`: the shared Int32Array the writer threads wait on (entry-write-worker.js). */
  constructor(shard: number, progress: SharedArrayBuffer, events: WriterShardEvents) {
    this.#events = events;
    this.#worker = new Worker(WORKER_SCRIPT, {
      workerData: { shard, progress },
      stdout: false,
      stderr: false,
      // It decodes batches in place; the arenas are outside its heap.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    this.#worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    this.#worker.on('error', (error: unknown) => events.failed(error));
    this.#worker.on('exit', (code: number) => {
      if (!this.#stopping) events.failed(new Error(`an entry writer thread exited with code ${code}`));
    });
  }

  /** Records in the batch being filled. */
  get records(): number {
    return this.#records;
  }

  /** Arena bytes posted and not yet done. */
  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** Bytes of arenas allocated so far (pooled ones are reused, not counted again). */
  get allocatedBytes(): number {
    return this.#allocatedBytes;
  }

  /** Batches posted and not yet done. */
  get busy(): number {
    return this.#pending.length;
  }

  /** Operation `op` is in the batch being filled (not posted yet). */
  holds(op: number): boolean {
    return this.#records > 0 && op >= this.#firstOp;
  }

  /** Bytes used in the batch being filled. */
  get filled(): number {
    return this.#used;
  }

  /** Every batch posted is done and none is being filled. */
  get idle(): boolean {
    return this.#doneSeq === this.#sentSeq && this.#records === 0;
  }

  /** Appends a record to the batch being filled (posting it first when the record does not fit). */
  append(record: OpRecord): RecordRef {
    const dataBytes = record.data?.length ?? 0;
    const need = HEADER_BYTES + 3 * (record.path.length + record.target.length) + dataBytes;
    if (this.#arena !== undefined && this.#used + need > this.#arena.length) this.send();
    const arena = (this.#arena ??= this.#takeArena(need));
    const off = this.#used;
    // Plain byte stores: the fields are in range by construction (need was checked above).
    arena[off] = record.kind;
    arena[off + 1] = record.flags;
    putU16(arena, off + 2, record.mode);
    put32(arena, off + 4, record.op);
    put32(arena, off + 8, record.dep);
    putU16(arena, off + 12, record.depShard);
    putU16(arena, off + 14, 0);
    let at = off + HEADER_BYTES;
    const pathBytes = arena.write(record.path, at, 'utf8');
    at += pathBytes;
    const targetBytes = record.target === '' ? 0 : arena.write(record.target, at, 'utf8');
    at += targetBytes;
    if (record.data !== undefined) arena.set(record.data, at);
    put32(arena, off + 16, pathBytes);
    put32(arena, off + 20, targetBytes);
    put32(arena, off + 24, dataBytes);
    this.#used = at + dataBytes;
    if (this.#records === 0) this.#firstOp = record.op;
    this.#records += 1;
    this.#lastRecord = off;
    return { batch: this.#sentSeq + 1, off };
  }

  /**
   * Appends as much of `data` as the batch has room for to the file record `ref`, when it is the
   * last record of this batch; returns the bytes taken (0 when none).
   */
  extend(ref: RecordRef, data: Buffer): number {
    const arena = this.#arena;
    if (arena === undefined || ref.batch !== this.#sentSeq + 1 || ref.off !== this.#lastRecord) return 0;
    const take = Math.min(data.length, arena.length - this.#used);
    if (take <= 0) return 0;
    arena.set(take === data.length ? data : data.subarray(0, take), this.#used);
    this.#used += take;
    arena.writeUInt32LE(arena.readUInt32LE(ref.off + 24) + take, ref.off + 24);
    return take;
  }

  /**
   * The most data bytes a record for `path` may carry and still fit a pooled arena: file data
   * longer than that is split over records, so every arena is a pooled one (an arena of its own
   * per 1 MiB of a big file was 1 GiB of buffers for the collector per 1 GiB file).
   */
  static maxDataBytes(path: string): number {
    return ARENA_BYTES - HEADER_BYTES - 3 * path.length;
  }

  /** Sets FLAG_CLOSE on the file record `ref` when it is still in this batch. */
  close(ref: RecordRef): boolean {
    const arena = this.#arena;
    if (arena === undefined || ref.batch !== this.#sentSeq + 1) return false;
    arena.writeUInt8(arena.readUInt8(ref.off + 1) | FLAG_CLOSE, ref.off + 1);
    return true;
  }

  /** Posts the batch being filled, if any (its arena counts in flight until done). */
  send(): void {
    const arena = this.#arena;
    if (arena === undefined || this.#records === 0 || this.#stopping) return;
    const seq = ++this.#sentSeq;
    const buffer = arenaBuffer(arena);
    this.#pending.push({ seq, bytes: buffer.byteLength });
    this.#inFlightBytes += buffer.byteLength;
    this.#worker.postMessage({ seq, arena: buffer, length: this.#used }, [buffer]);
    this.#arena = undefined;
    this.#used = 0;
    this.#records = 0;
    this.#lastRecord = -1;
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
    if (reply.arena.byteLength === ARENA_BYTES) this.#freeArenas.push(Buffer.from(reply.arena));
    while (this.#pending.length > 0 && (this.#pending[0]?.seq ?? Infinity) <= reply.done) this.#inFlightBytes -= this.#pending.shift()?.bytes ?? 0;
    this.#events.done();
  }

  /** A pooled arena, or a new one (bigger than usual for a record that does not fit one). */
  #takeArena(bytes: number): Buffer {
    const pooled = bytes <= ARENA_BYTES ? this.#freeArenas.pop() : undefined;
    if (pooled !== undefined) return pooled;
    const size = Math.max(bytes, ARENA_BYTES);
    this.#allocatedBytes += size;
    return Buffer.allocUnsafeSlow(size);
  }

}

/** Little-endian u16 at `at` (a record field: `value` is 0-65535). */
function putU16(arena: Buffer, at: number, value: number): void {
  arena[at] = value;
  arena[at + 1] = value >>> 8;
}

/** Little-endian 32 bits at `at`: an i32 field (-1 and up) or a u32 length below 2^31. */
function put32(arena: Buffer, at: number, value: number): void {
  arena[at] = value;
  arena[at + 1] = value >>> 8;
  arena[at + 2] = value >>> 16;
  arena[at + 3] = value >>> 24;
}

/** An arena's whole ArrayBuffer (allocUnsafeSlow: its own, not Buffer's pool), to transfer. */
function arenaBuffer(arena: Buffer): ArrayBuffer {
  const { buffer } = arena;
  if (!(buffer instanceof ArrayBuffer) || arena.byteOffset !== 0) throw new Error('a batch arena must own a whole ArrayBuffer');
  return buffer;
}
