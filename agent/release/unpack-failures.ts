import type { HashingStream } from '../fs/hashing-stream';
import type { TarEntryHeader } from './tar/tar-reader';
import { errnoOf, ioError } from './release-dir';
import { UnpackError, shownPath } from './unpack-error';
import { MAX_META_ENTRY_BYTES } from './unpack-limits';

/** How unpackRelease names what went wrong: which stage failed, and what beats what. */

/**
 * Once the whole source was read, a wrong size or sha256 explains any other failure (a damaged
 * or substituted artifact), so it wins; undefined while the source is unfinished or matches.
 */
export function artifactMismatch(
  hashing: HashingStream,
  expected: { sha256: string; size: number },
  cause?: UnpackError,
): UnpackError | undefined {
  const sha256 = hashing.sha256;
  if (sha256 === undefined) return undefined;
  const why = cause === undefined ? {} : { cause };
  if (hashing.bytes !== expected.size) {
    return new UnpackError(
      'ARTIFACT_SIZE_MISMATCH',
      `the artifact has ${hashing.bytes} bytes but the manifest says ${expected.size}`,
      why,
    );
  }
  if (sha256 !== expected.sha256) {
    return new UnpackError('ARTIFACT_HASH_MISMATCH', `the artifact's sha256 is ${sha256} but the manifest says ${expected.sha256}`, why);
  }
  return undefined;
}

export type ErrorOrigins = WeakMap<object, 'source' | 'gzip'>;

export function streamError(error: unknown, origins: ErrorOrigins, empty: boolean): UnpackError {
  if (error instanceof UnpackError) return error;
  const origin = typeof error === 'object' && error !== null ? origins.get(error) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (origin === 'gzip') {
    const problem = empty ? 'the artifact holds no files (it is empty)' : `the artifact is not valid gzip (${message})`;
    return new UnpackError('ARTIFACT_CORRUPT', problem, { cause: error });
  }
  if (origin === 'source' || errnoOf(error) === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new UnpackError('ARTIFACT_READ_FAILED', `reading the artifact failed: ${message}`, { cause: error });
  }
  return ioError('unpack the artifact', error);
}

/** TarReader errors (node-tar's strict-mode errors: every warning is one) mean the tar itself is broken. */
export function tarError(error: unknown, entries: number): UnpackError {
  if (error instanceof UnpackError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const problem = entries === 0 ? `the artifact holds no files (${message})` : `the artifact is not a valid tar (${message})`;
  return new UnpackError('ARTIFACT_CORRUPT', problem, { cause: error });
}

export function ignoredEntryError(entry: TarEntryHeader): UnpackError {
  const raw: unknown = entry.path;
  const entryPath = typeof raw === 'string' ? shownPath(raw) : '';
  if (entry.meta) {
    return new UnpackError('ARTIFACT_CORRUPT', `a ${entry.type} header is bigger than ${MAX_META_ENTRY_BYTES} bytes`, { entryPath });
  }
  return new UnpackError(
    'UNPACK_UNSUPPORTED_ENTRY',
    `the entry is of tar type ${JSON.stringify(entry.typeKey)} (${entry.type}); only files, directories, symlinks and hardlinks are allowed`,
    { entryPath },
  );
}
