import { DeployError } from '../errors';

/**
 * Every reason `unpackRelease` refuses an artifact. The codes are stable: logs, status reports and
 * tests match on them, so never rename one.
 */
export type UnpackErrorCode =
  /** More bytes than `limits.maxArtifactBytes` or than the manifest's size; reading stopped there. */
  | 'ARTIFACT_TOO_LARGE'
  /** The artifact ended before the manifest's size. */
  | 'ARTIFACT_SIZE_MISMATCH'
  /** The artifact's sha256 is not the manifest's. */
  | 'ARTIFACT_HASH_MISMATCH'
  /** Not a gzip'd tar: bad or truncated gzip or tar, garbage, or no entries at all. */
  | 'ARTIFACT_CORRUPT'
  /** The source stream itself failed (network, storage). */
  | 'ARTIFACT_READ_FAILED'
  /** An entry path starts at a root: `/x`, `C:x`, `\\server\x`. */
  | 'UNPACK_ABSOLUTE_PATH'
  /** An entry path has a `..` segment (after normalising `\` and drive letters). */
  | 'UNPACK_PARENT_PATH'
  /** A link that leaves the release dir, or an entry whose path passes through a symlink. */
  | 'UNPACK_UNSAFE_LINK'
  /** Devices, FIFOs and any type that is not file, directory, symlink or hardlink. */
  | 'UNPACK_UNSUPPORTED_ENTRY'
  /** More entries than `limits.maxFiles`. */
  | 'UNPACK_TOO_MANY_FILES'
  /** More unpacked bytes than `limits.maxUnpackedBytes`. */
  | 'UNPACK_TOO_LARGE'
  /** A path deeper than `limits.maxDepth`. */
  | 'UNPACK_TOO_DEEP'
  /** Two entries for one path (exactly, or after Unicode normalisation / case folding). */
  | 'UNPACK_NAME_COLLISION'
  /** The filesystem failed under us (disk full, permissions). */
  | 'UNPACK_IO_FAILED'
  /** The version is not a valid release name. */
  | 'INVALID_VERSION'
  /** `expected` or `limits` are not usable. */
  | 'UNPACK_INVALID_OPTIONS';

const REBUILD = 'rebuild it from a clean directory (e.g. tar -czf app.tgz -C build .) and publish it again';

/** What to do about each code: the second half of every message. */
const ADVICE: Readonly<Record<UnpackErrorCode, string>> = {
  ARTIFACT_TOO_LARGE:
    'Check that the manifest names the right artifact; if the release really is this big, raise limits.maxArtifactBytes.',
  ARTIFACT_SIZE_MISMATCH:
    'The download was cut short or the manifest is stale: download it again, and republish the release if it persists.',
  ARTIFACT_HASH_MISMATCH:
    'This is not the artifact the manifest describes (damaged download or tampering): do not deploy it; download it again or republish the release.',
  ARTIFACT_CORRUPT: `The artifact must be a gzip'd tar with at least one entry: ${REBUILD}.`,
  ARTIFACT_READ_FAILED: 'Check the network and the artifact store, then retry the download.',
  UNPACK_ABSOLUTE_PATH: `The release was refused whole; every entry must be a relative path: ${REBUILD}.`,
  UNPACK_PARENT_PATH: `The release was refused whole; no entry may contain '..': ${REBUILD}.`,
  UNPACK_UNSAFE_LINK: `The release was refused whole; every symlink and hardlink must point inside the release, and no entry may sit under a symlink: ${REBUILD}.`,
  UNPACK_UNSUPPORTED_ENTRY: `The release was refused whole; only regular files, directories, symlinks and hardlinks are allowed: ${REBUILD}.`,
  UNPACK_TOO_MANY_FILES: 'Slim the release (e.g. npm prune --omit=dev) or raise limits.maxFiles.',
  UNPACK_TOO_LARGE: 'Slim the release (e.g. npm prune --omit=dev) or raise limits.maxUnpackedBytes.',
  UNPACK_TOO_DEEP: 'Flatten the directory tree of the release or raise limits.maxDepth.',
  UNPACK_NAME_COLLISION: `The release was refused whole; no path may be listed twice or differ from another only by case or Unicode normalisation: ${REBUILD}.`,
  UNPACK_IO_FAILED: 'Check free disk space and the permissions of the releases dir, then retry.',
  INVALID_VERSION:
    "Use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. v42).",
  UNPACK_INVALID_OPTIONS: 'Fix the caller: see UnpackOptions and UnpackLimits.',
};

/** Why an artifact could not become a release. Nothing was left at `releasesDir/<version>`. */
export class UnpackError extends DeployError {
  declare readonly code: UnpackErrorCode;
  /** The archive entry at fault, as written in the tarball (control characters escaped). */
  readonly entryPath: string | undefined;

  constructor(code: UnpackErrorCode, problem: string, options: { cause?: unknown; entryPath?: string } = {}) {
    const where = options.entryPath === undefined ? '' : ` (entry ${JSON.stringify(options.entryPath)})`;
    super(code, `${problem}${where}. ${ADVICE[code]}`, { cause: options.cause });
    this.entryPath = options.entryPath;
  }

  override get name(): string {
    return 'UnpackError';
  }
}

/** A refusal found while checking an entry, before the entry path is attached. */
export interface Refusal {
  readonly code: UnpackErrorCode;
  readonly problem: string;
}

/** Entry paths as shown in messages: at most 200 characters. */
export function shownPath(raw: string): string {
  return raw.length <= 200 ? raw : `${raw.slice(0, 100)}…${raw.slice(-100)}`;
}
