import { Writable } from 'node:stream';
import type { TarReader } from './tar/tar-reader';
import { UnpackError } from './unpack-error';

export interface TarSinkOptions {
  /** Fed the inflated tar, chunk by chunk; its handlers run inside `write` (and throw a refusal). */
  readonly reader: TarReader;
  /** The error a failure thrown by the reader (or its handlers) fails the stream with. */
  readonly failure: (error: unknown) => Error;
  /** Most bytes the gunzip stage may produce before UNPACK_TOO_LARGE. */
  readonly maxInflatedBytes: number;
  /** Most zero bytes allowed after the end-of-archive marker. */
  readonly maxTrailingBytes: number;
  /** Resolves once every entry the reader gave was written (or rejects). */
  readonly settled: () => Promise<void>;
  /** A promise while the reader's consumer wants no more bytes for now; undefined when it does. @default always ready */
  readonly ready?: () => Promise<void> | undefined;
  /**
   * Called with each chunk once the reader is done with it (the reader keeps no view of a chunk
   * past its `write`): nothing reads it again. @default none
   */
  readonly spent?: (chunk: Buffer) => void;
}

/** Inflated bytes gunzip may run ahead of the parser. */
const INFLATED_BUFFER_BYTES = 512 * 1024;

const NESTED_MAGIC: readonly Buffer[] = [Buffer.from([0x1f, 0x8b]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];

/**
 * The last pipeline stage: inflated bytes → TarReader. It bounds what the reader is asked to
 * chew through (gzip bombs of headers or padding), refuses a nested gzip/zstd stream, and
 * allows only zero padding after the end-of-archive marker.
 */
export class TarSink extends Writable {
  readonly #options: TarSinkOptions;
  #inflated = 0;
  #head = Buffer.alloc(0);
  #trailing = 0;

  constructor(options: TarSinkOptions) {
    super({ highWaterMark: INFLATED_BUFFER_BYTES });
    this.#options = options;
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!Buffer.isBuffer(chunk)) {
      callback(new UnpackError('ARTIFACT_CORRUPT', 'gunzip produced something other than bytes'));
      return;
    }
    this.#inflated += chunk.length;
    if (this.#inflated > this.#options.maxInflatedBytes) {
      callback(
        new UnpackError(
          'UNPACK_TOO_LARGE',
          `the artifact inflates to more than ${this.#options.maxInflatedBytes} bytes of tar (file data plus headers allowed by limits.maxUnpackedBytes and limits.maxFiles)`,
        ),
      );
      return;
    }
    if (this.#head.length < 4) {
      this.#head = Buffer.concat([this.#head, chunk.subarray(0, 4 - this.#head.length)]);
      if (NESTED_MAGIC.some((magic) => this.#head.length >= magic.length && this.#head.subarray(0, magic.length).equals(magic))) {
        callback(new UnpackError('ARTIFACT_CORRUPT', 'the artifact is compressed twice; a single gzip layer is expected'));
        return;
      }
    }
    if (this.#options.reader.sawEof) {
      this.#trailing += chunk.length;
      if (chunk.some((byte) => byte !== 0) || this.#trailing > this.#options.maxTrailingBytes) {
        callback(this.#afterEndMarker());
        return;
      }
      this.#options.spent?.(chunk);
      callback();
      return;
    }
    // Parsing (and extracting) this chunk runs right after the current callback, not inside it:
    // gunzip pushes from its thread-pool callback, which then starts inflating the next chunk
    // only once this returns. Deferred, the two overlap (like the two processes of `tar xzf`);
    // the writable buffer (highWaterMark) bounds how far gunzip runs ahead.
    const feed = (): void => {
      const reader = this.#options.reader;
      try {
        reader.write(chunk);
      } catch (error: unknown) {
        callback(this.#options.failure(error));
        return;
      }
      this.#options.spent?.(chunk);
      // The rest of the chunk that held the end-of-archive marker: the same rule as later chunks.
      if (reader.sawEof) {
        const { bytes, nonZero } = reader.afterEof;
        this.#trailing = bytes;
        if (nonZero || bytes > this.#options.maxTrailingBytes) {
          callback(this.#afterEndMarker());
          return;
        }
      }
      callback();
    };
    const waiting = this.#options.ready?.();
    if (waiting === undefined) process.nextTick(feed);
    else waiting.then(feed, (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
  }

  #afterEndMarker(): UnpackError {
    return new UnpackError(
      'ARTIFACT_CORRUPT',
      `the artifact carries data after the tar end-of-archive marker (only up to ${this.#options.maxTrailingBytes} zero bytes of padding are allowed)`,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#options.reader.end();
    } catch (error: unknown) {
      callback(this.#options.failure(error));
      return;
    }
    this.#options
      .settled()
      .then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
  }
}
