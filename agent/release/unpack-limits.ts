import { UnpackError } from './unpack-error';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** What one artifact may cost. Every field is a positive integer. */
export interface UnpackLimits {
  /** Bytes of the compressed artifact. @default 1 GiB (1073741824) */
  readonly maxArtifactBytes: number;
  /** Bytes of all unpacked files together. @default 4 GiB (4294967296) */
  readonly maxUnpackedBytes: number;
  /** Entries (files, dirs, links). @default 200000 */
  readonly maxFiles: number;
  /** Path depth (segments). @default 64 */
  readonly maxDepth: number;
}

export const defaultUnpackLimits: UnpackLimits = Object.freeze({
  maxArtifactBytes: 1 * GiB,
  maxUnpackedBytes: 4 * GiB,
  maxFiles: 200_000,
  maxDepth: 64,
});

/**
 * Largest pax / GNU long-name header we read (node-tar's own default). A bigger one is refused
 * rather than buffered.
 */
export const MAX_META_ENTRY_BYTES = 1 * MiB;

/**
 * Zero padding allowed after the tar end-of-archive marker (tar pads to its record size, 10 KiB by
 * default); anything else after the marker is refused.
 */
export const MAX_TRAILING_PADDING_BYTES = 1 * MiB;

/** Headers, pax records and padding allowed per entry when bounding the inflated stream. */
const OVERHEAD_BYTES_PER_ENTRY = 8 * KiB;

/**
 * The most bytes the gunzip stage may produce: file data plus generous per-entry overhead. A
 * gzip bomb made of headers or padding stops here (CVE-2026-59873 class).
 */
export function maxInflatedBytes(limits: UnpackLimits): number {
  return limits.maxUnpackedBytes + (limits.maxFiles + 1) * OVERHEAD_BYTES_PER_ENTRY + 2 * MAX_META_ENTRY_BYTES;
}

/** Fills in the defaults and refuses anything that is not a positive integer. */
export function resolveUnpackLimits(partial: Partial<UnpackLimits> = {}): UnpackLimits {
  const limits: UnpackLimits = {
    maxArtifactBytes: partial.maxArtifactBytes ?? defaultUnpackLimits.maxArtifactBytes,
    maxUnpackedBytes: partial.maxUnpackedBytes ?? defaultUnpackLimits.maxUnpackedBytes,
    maxFiles: partial.maxFiles ?? defaultUnpackLimits.maxFiles,
    maxDepth: partial.maxDepth ?? defaultUnpackLimits.maxDepth,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new UnpackError('UNPACK_INVALID_OPTIONS', `limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}
