import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export interface HashingStreamOptions {
  /** Fail the stream (and so stop reading) as soon as more than this many bytes arrived. @default no limit */
  readonly maxBytes?: number;
  /** The error to fail with past `maxBytes`, given the bytes seen. */
  readonly tooLarge?: (bytes: number) => Error;
  /** Called with the bytes seen so far after every chunk. */
  readonly onProgress?: (bytes: number) => void;
  /**
   * Hand the bytes on in chunks of at least this many (small chunks copied together; the last
   * may be smaller), for a next stage that pays per chunk: gunzip makes a thread-pool round trip
   * for each, and an HTTPS body comes in TLS records of at most 16 KiB. @default as they come
   */
  readonly outputChunkBytes?: number;
}

/**
 * A pass-through that counts and sha256-hashes what flows through it, so an
 * artifact is hashed while it is uploaded or unpacked, never read twice.
 */
export class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #digest: string | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** The chunks this stream joined (its own memory, not the source's). */
  readonly #joined = new WeakSet<Buffer>();

  constructor(private readonly options: HashingStreamOptions = {}) {
    super();
  }

  /** Bytes that passed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `chunk` is one this stream joined from smaller ones: its memory, not the source's. */
  joined(chunk: Buffer): boolean {
    return this.#joined.has(chunk);
  }

  /** Lowercase hex sha256 of every byte, once the source ended; undefined before. */
  get sha256(): string | undefined {
    return this.#digest;
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!Buffer.isBuffer(chunk)) {
      callback(new TypeError(`expected bytes, got a ${typeof chunk} chunk`));
      return;
    }
    const bytes = this.#bytes + chunk.length;
    const { maxBytes, tooLarge, onProgress } = this.options;
    if (maxBytes !== undefined && bytes > maxBytes) {
      callback(tooLarge?.(bytes) ?? new RangeError(`more than ${maxBytes} bytes`));
      return;
    }
    this.#bytes = bytes;
    this.#hash.update(chunk);
    onProgress?.(bytes);
    const least = this.options.outputChunkBytes;
    if (least === undefined || (this.#heldBytes === 0 && chunk.length >= least)) {
      callback(null, chunk);
      return;
    }
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    callback(null, this.#heldBytes >= least ? this.#release() : undefined);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash.digest('hex');
    callback(null, this.#heldBytes > 0 ? this.#release() : undefined);
  }

  #release(): Buffer {
    const joined = this.#held.length === 1 ? (this.#held[0] as Buffer) : Buffer.concat(this.#held, this.#heldBytes);
    if (this.#held.length > 1) this.#joined.add(joined);
    this.#held = [];
    this.#heldBytes = 0;
    return joined;
  }
}
