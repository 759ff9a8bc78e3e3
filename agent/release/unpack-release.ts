import { chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { EntryExtractor } from './entry-extractor';
import { EntryWriteQueue } from './entry-write-queue';
import { HashingStream } from '../fs/hashing-stream';
import { VERSION_PATTERN } from '../store/version-name';
import {
  EarlyWriteback,
  ensureReleasesDir,
  type ReleaseOnDisk,
  existingRelease,
  io,
  ioError,
  makeTempDir,
  publish,
  removeTree,
  syncTree,
} from './release-dir';
import { exposedMinorGc, type MinorGc, ReadBufferCollector } from './read-buffer-collector';
import { onInputConsumed, SpentBuffers } from './spent-buffers';
import { TarSink } from './tar-sink';
import { TarFormatError, TarReader } from './tar/tar-reader';
import { UnpackError } from './unpack-error';
import { artifactMismatch, ignoredEntryError, streamError, tarError, type ErrorOrigins } from './unpack-failures';
import {
  MAX_META_ENTRY_BYTES,
  MAX_TRAILING_PADDING_BYTES,
  maxInflatedBytes,
  resolveUnpackLimits,
  type UnpackLimits,
} from './unpack-limits';
import { MAX_WRITER_THREADS } from './writer-threads';

export { UnpackError, type UnpackErrorCode } from './unpack-error';
export { defaultUnpackLimits, type UnpackLimits } from './unpack-limits';

export interface UnpackOptions {
  /**
   * The artifact bytes (gzip'd tar), streamed: never held in memory whole. Consumed; destroyed
   * unread when the release already exists or the call is refused before reading (bad options,
   * manifest size over limits.maxArtifactBytes).
   */
  readonly source: NodeJS.ReadableStream | Readable;
  /** From the manifest: the artifact must have exactly this size and sha256 (lowercase hex). */
  readonly expected: { readonly sha256: string; readonly size: number };
  /** Parent directory of unpacked releases, e.g. /var/lib/deploy-agent/releases. Created if missing. */
  readonly releasesDir: string;
  /** Becomes the directory name: 1-128 of [A-Za-z0-9._-], starting alphanumeric. */
  readonly version: string;
  /** @default defaultUnpackLimits, field by field */
  readonly limits?: Partial<UnpackLimits>;
  /** Called with bytes of artifact read so far (for progress/logs). @default none */
  readonly onProgress?: (bytesRead: number) => void;
  /**
   * Threads that create the entries, each its own subtrees: `initial` start, more join (up to
   * `max`) while the filesystem is slow to keep up. 1-64.
   * @default { initial: 1, max: os.availableParallelism() - 1, clamped to 1-4 }
   */
  readonly writerThreads?: { readonly initial?: number; readonly max?: number };
  /**
   * A young-generation collection, run after every 4 MiB of artifact read so that the read
   * buffers an HTTP body leaves behind are freed as it goes (read-buffer-collector.ts).
   * @default V8's, when the process runs with `--expose-gc` (the agent does); otherwise none
   */
  readonly minorGc?: MinorGc;
}

export interface UnpackedRelease {
  /** `releasesDir/<version>`, absolute. */
  readonly dir: string;
  /** Entries unpacked (files, dirs, links); for a reused release, entries found on disk. */
  readonly files: number;
  /** Bytes of regular files; for a reused release, measured on disk. */
  readonly bytes: number;
  /** true when `dir` already existed (or another unpack published it first) and was returned as is. */
  readonly reused: boolean;
}

const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/**
 * Inflated bytes per gunzip output chunk. Each chunk is a thread-pool round trip (a wake-up of a
 * pool thread and of the main thread, costly on a small VM): at zlib's 16 KiB (or 64 KiB) the
 * round trips cost more CPU than the inflating. In `npm run bench:artifact`, gunzip alone took
 * 390-440 ms at 64 KiB and 250-270 ms at 256 KiB; the whole fetch + unpack, 1 MiB against 256 KiB
 * (with GUNZIP_INPUT_BYTES the same), took 0.87-0.90 of the time (medians of 6-8 paired runs on
 * Node 20 and 24). The cost: a few MB more in flight (peak RSS 136-140 MB against 127-131 on
 * Node 20, where spent buffers wait for the collector: spent-buffers.ts).
 */
const GUNZIP_CHUNK_BYTES = 1024 * 1024;
/**
 * Artifact bytes per gunzip input chunk (at least; HashingStream joins smaller ones): each one is
 * a thread-pool round trip too, and an HTTP body arrives in reads of at most 64 KiB (an HTTPS
 * one in TLS records of at most 16 KiB, where gunzip cost the main thread 3-4 times what it did
 * at 256 KiB).
 */
const GUNZIP_INPUT_BYTES = 1024 * 1024;

/**
 * Verifies and unpacks one release artifact into `releasesDir/<version>`: source → size + sha256
 * → gunzip → TarReader (node-tar's strict parsing, leaner) → every entry checked (EntryExtractor) → its operations run by
 * writer threads (EntryWriteQueue, in order where order matters), inside a private temp dir that
 * is flushed to disk and renamed into place only when everything checked out and the writer
 * threads are gone. On any failure the writer threads are stopped, the temp dir removed, and an
 * UnpackError says what was wrong and what to do.
 */
export async function unpackRelease(options: UnpackOptions): Promise<UnpackedRelease> {
  let plan: Plan;
  try {
    plan = await planUnpack(options);
  } catch (error: unknown) {
    discard(options.source);
    throw error;
  }
  const { expected, limits, releasesDir, finalDir } = plan;
  if (plan.existing !== undefined) {
    discard(options.source);
    return { ...plan.existing, reused: true };
  }
  const tempDir = await makeTempDir(releasesDir, options.version);
  const early = new EarlyWriteback(tempDir);
  try {
    const extractor = await extractVerified(tempDir, options, expected, limits, early);
    await io('open up the release dir', () => chmod(tempDir, 0o755));
    await syncTree(tempDir, () => extractor.createdPaths(), early);
    if (await publish(tempDir, finalDir)) {
      return { dir: finalDir, files: extractor.entries, bytes: extractor.bytes, reused: false };
    }
    await removeTree(tempDir);
    const winner = await existingRelease(finalDir);
    return { ...(winner ?? { dir: finalDir, files: extractor.entries, bytes: extractor.bytes }), reused: true };
  } catch (error: unknown) {
    await early.settled();
    await removeTree(tempDir).catch(() => undefined);
    throw error instanceof UnpackError ? error : ioError('unpack the release', error);
  }
}

interface Plan {
  readonly expected: { sha256: string; size: number };
  readonly limits: UnpackLimits;
  readonly releasesDir: string;
  readonly finalDir: string;
  /** Set when `finalDir` already holds the release. */
  readonly existing: ReleaseOnDisk | undefined;
}

/** Everything decided before reading a byte: options checked, releases dir ready, reuse known. */
async function planUnpack(options: UnpackOptions): Promise<Plan> {
  const { version } = options;
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) {
    throw new UnpackError('INVALID_VERSION', `invalid version ${JSON.stringify(version)}`);
  }
  const expected = checkExpected(options.expected);
  const limits = resolveUnpackLimits(options.limits);
  for (const [name, threads] of Object.entries(options.writerThreads ?? {})) {
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > MAX_WRITER_THREADS)) {
      throw new UnpackError('UNPACK_INVALID_OPTIONS', `writerThreads.${name} must be an integer 1-${MAX_WRITER_THREADS}, got ${String(threads)}`);
    }
  }
  if (expected.size > limits.maxArtifactBytes) {
    throw new UnpackError(
      'ARTIFACT_TOO_LARGE',
      `the manifest says the artifact has ${expected.size} bytes, more than limits.maxArtifactBytes (${limits.maxArtifactBytes})`,
    );
  }
  const releasesDir = path.resolve(options.releasesDir);
  const finalDir = path.join(releasesDir, version);
  await ensureReleasesDir(releasesDir);
  return { expected, limits, releasesDir, finalDir, existing: await existingRelease(finalDir) };
}

/** Streams the artifact into `tempDir`; resolves only when every byte and entry checked out. */
async function extractVerified(
  tempDir: string,
  options: UnpackOptions,
  expected: { sha256: string; size: number },
  limits: UnpackLimits,
  early: EarlyWriteback,
): Promise<EntryExtractor> {
  let failure: UnpackError | undefined;
  let sink: TarSink | undefined;
  /** Records the first failure and stops the pipeline; returns the first failure. */
  const fail = (error: UnpackError): UnpackError => {
    if (failure !== undefined) return failure;
    failure = error;
    sink?.destroy(error);
    return error;
  };
  const writer = new EntryWriteQueue({
    root: tempDir,
    onFailure: (error) => void fail(error),
    ...(options.writerThreads?.max === undefined ? {} : { threads: options.writerThreads.max }),
    ...(options.writerThreads?.initial === undefined ? {} : { initialThreads: options.writerThreads.initial }),
  });
  try {
    const extractor = new EntryExtractor({ root: tempDir, limits, writer });
    // unpackRelease already refused a manifest size above limits.maxArtifactBytes.
    let lastBytes = 0;
    const collector = new ReadBufferCollector(options.minorGc ?? exposedMinorGc());
    const hashing = new HashingStream({
      maxBytes: expected.size,
      outputChunkBytes: GUNZIP_INPUT_BYTES,
      tooLarge: (bytes) =>
        new UnpackError('ARTIFACT_TOO_LARGE', `the artifact is larger than the manifest's size (${expected.size} bytes); stopped reading after ${bytes} bytes`),
      onProgress: (bytes) => {
        // Past each quarter of the artifact, start writing back what is unpacked so far.
        if (Math.floor((4 * bytes) / expected.size) > Math.floor((4 * lastBytes) / expected.size)) early.start();
        lastBytes = bytes;
        collector.onBytesRead(bytes);
        options.onProgress?.(bytes);
      },
    });
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    const spentBuffers = new SpentBuffers();
    // The chunks HashingStream joined go to gunzip alone.
    onInputConsumed(gunzip, (chunk) => {
      if (hashing.joined(chunk)) spentBuffers.spent(chunk);
    });
    // pipeline() destroys every stage with the first error, so each stage re-emits it: the first
    // stage to emit an error is where it came from.
    const origins: ErrorOrigins = new WeakMap();
    const remember = (stage: 'source' | 'gzip') => (error: unknown) => {
      if (typeof error === 'object' && error !== null && !origins.has(error)) origins.set(error, stage);
    };
    options.source.on('error', remember('source'));
    gunzip.on('error', remember('gzip'));
    const reader = new TarReader({
      maxMetaEntryBytes: MAX_META_ENTRY_BYTES,
      handlers: {
        entry: (entry) => extractor.extract(entry),
        data: (chunk) => extractor.data(chunk),
        end: () => extractor.end(),
        ignored: (entry) => {
          throw ignoredEntryError(entry);
        },
        eof: () => undefined,
      },
    });
    sink = new TarSink({
      reader,
      failure: (error) => {
        if (error instanceof UnpackError) return error;
        if (error instanceof TarFormatError) return tarError(error, extractor.entries);
        return ioError('write an entry', error);
      },
      maxInflatedBytes: maxInflatedBytes(limits),
      maxTrailingBytes: MAX_TRAILING_PADDING_BYTES,
      // While the writers are behind, the reader gets no more bytes (each chunk's entries and
      // data are queued whole, so in-flight data stays within the writers' limit plus a chunk).
      ready: () => (writer.saturated ? new Promise<void>((resume) => writer.onDrain(resume)) : undefined),
      // gunzip's output goes to the sink alone, and everything kept of it is copied out.
      spent: (chunk) => spentBuffers.spent(chunk),
      settled: async () => {
        await writer.flush();
        if (failure !== undefined) throw failure;
      },
    });

    try {
      await pipeline(options.source, hashing, gunzip, sink);
    } catch (error: unknown) {
      const primary = fail(streamError(error, origins, hashing.bytes === 0));
      throw (primary.code === 'ARTIFACT_TOO_LARGE' ? undefined : artifactMismatch(hashing, expected, primary)) ?? primary;
    }
    const mismatch = artifactMismatch(hashing, expected);
    if (mismatch !== undefined) throw mismatch;
    if (extractor.entries === 0) {
      throw new UnpackError('ARTIFACT_CORRUPT', 'the artifact holds no files (its tar has no entries)');
    }
    extractor.verifySymlinks();
    return extractor;
  } finally {
    // Once this resolves the writer threads are gone: nothing more lands in tempDir, so it can
    // be removed (on failure) or flushed and published (on success).
    await writer.close();
  }
}

function checkExpected(expected: UnpackOptions['expected']): { sha256: string; size: number } {
  const sha256 = typeof expected?.sha256 === 'string' ? expected.sha256.toLowerCase() : '';
  if (!SHA256_PATTERN.test(sha256)) {
    throw new UnpackError('UNPACK_INVALID_OPTIONS', 'expected.sha256 must be 64 hex digits');
  }
  const size = expected.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new UnpackError('UNPACK_INVALID_OPTIONS', `expected.size must be a non-negative integer, got ${String(size)}`);
  }
  return { sha256, size };
}

/** Releases a source we will not read (an HTTP body, a file stream). */
function discard(source: UnpackOptions['source']): void {
  if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
  else source.resume();
}
