import path from 'node:path';
import { checkEntryPath, parsePortablePath } from './entry-path';
import { DIR_MODE, fileModeOf, safeJoin } from './entry-destination';
import type { EntryWriteQueue } from './entry-write-queue';
import type { TarEntryHeader } from './tar/tar-reader';
import { ReleaseTree, pathKeys, type PathKeys, type TreeNodeKind } from './release-tree';
import { UnpackError, shownPath, type Refusal } from './unpack-error';
import type { UnpackLimits } from './unpack-limits';

export interface EntryExtractorOptions {
  /** The private temp dir entries are written into. */
  readonly root: string;
  readonly limits: UnpackLimits;
  /** Runs the checked operations on its writer threads (in order where order matters). */
  readonly writer: EntryWriteQueue;
}

type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink';

/** node-tar type names we write; everything else (devices, FIFOs, vendor types) is refused. */
const KINDS: ReadonlyMap<string, EntryKind> = new Map([
  ['File', 'file'],
  ['OldFile', 'file'],
  ['ContiguousFile', 'file'],
  ['Directory', 'dir'],
  ['SymbolicLink', 'symlink'],
  ['Link', 'hardlink'],
]);

/** The regular file whose data is being read. */
interface OpenFile {
  readonly size: number;
  readonly entryPath: string;
  received: number;
}

/**
 * Checks every tar entry itself (path, type, link target, size, count) and only then queues
 * what it creates in `root` on the writer (EntryWriteQueue), which runs those operations on its
 * own threads. It is driven by the TarReader's handlers: `extract` for each entry, then `data`
 * and `end` for its data. The first unsafe entry throws an UnpackError; there is no
 * strip-and-continue. Everything is judged here against the model of the tree (ReleaseTree),
 * never against the disk, so queuing instead of awaiting each write changes no decision.
 */
export class EntryExtractor {
  readonly #options: EntryExtractorOptions;
  readonly #tree = new ReleaseTree();
  #entries = 0;
  #bytes = 0;
  #file: OpenFile | undefined;

  constructor(options: EntryExtractorOptions) {
    this.#options = { ...options, root: path.resolve(options.root) };
  }

  /** Things created: files, dirs (implicit parents too), symlinks, hardlinks; not the root. */
  get entries(): number {
    return this.#entries;
  }

  /** Bytes of regular-file data (every file's size from its header, checked against limits and against its data). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Checks `entry` and queues what it creates; a file's data follows through `data` and `end`.
   * Throws the refusal.
   */
  extract(entry: TarEntryHeader): void {
    const raw: unknown = entry.path;
    if (typeof raw !== 'string' || raw === '') {
      throw new UnpackError('ARTIFACT_CORRUPT', 'an entry has no usable path');
    }
    const entryPath = shownPath(raw);
    const refuse = (refusal: Refusal): never => {
      throw new UnpackError(refusal.code, refusal.problem, { entryPath });
    };
    const { limits } = this.#options;
    const verdict = checkEntryPath(raw, limits.maxDepth);
    if (!verdict.ok) return refuse(verdict.refusal);
    const kind = KINDS.get(entry.type);
    if (kind === undefined) {
      return refuse({ code: 'UNPACK_UNSUPPORTED_ENTRY', problem: `the entry is a ${entry.type}; only files, directories, symlinks and hardlinks are allowed` });
    }
    const { segments } = verdict;
    if (segments.length === 0) {
      if (kind !== 'dir') refuse({ code: 'UNPACK_NAME_COLLISION', problem: 'a non-directory entry names the release dir itself' });
      return;
    }
    const size: unknown = entry.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      refuse({ code: 'ARTIFACT_CORRUPT', problem: `an entry has an invalid size (${String(size)})` });
      return;
    }
    if (kind !== 'file' && size > 0) {
      refuse({ code: 'ARTIFACT_CORRUPT', problem: `a ${entry.type} entry carries ${size} bytes of data` });
    }
    if (kind === 'file' && this.#bytes + size > limits.maxUnpackedBytes) {
      refuse({ code: 'UNPACK_TOO_LARGE', problem: `the unpacked files add up to more than limits.maxUnpackedBytes (${limits.maxUnpackedBytes} bytes)` });
    }
    const nodeKind: TreeNodeKind = kind === 'hardlink' ? 'file' : kind;
    const keys = pathKeys(segments);
    const placement = this.#tree.checkPlacement(segments, nodeKind, keys);
    if (placement !== undefined) refuse(placement);

    const { root, writer } = this.#options;
    const absolute = safeJoin(root, segments, entryPath);
    // A parent that exists has every ancestor (ReleaseTree.add), the common case in a tar.
    if (keys.parentKey !== '' && !this.#tree.isDirKey(keys.parentKey)) this.#ensureDirs(segments.slice(0, -1), entryPath);
    switch (kind) {
      case 'dir':
        if (!this.#tree.isDirKey(keys.key)) this.#makeDir(segments, entryPath, keys, absolute);
        return;
      case 'file': {
        this.#count(entryPath);
        this.#bytes += size;
        this.#tree.add(segments, 'file', undefined, keys);
        writer.fileStart(absolute, fileModeOf(entry.mode));
        this.#file = { size, entryPath, received: 0 };
        return;
      }
      case 'symlink': {
        const target = parsePortablePath(linkpathOf(entry, entryPath));
        const unsafe = this.#tree.checkSymlinkTarget(segments, target, limits.maxDepth);
        if (unsafe !== undefined) refuse(unsafe);
        safeJoin(root, resolvedInside(segments, target.segments), entryPath, 'UNPACK_UNSAFE_LINK');
        this.#count(entryPath);
        writer.symlink(absolute, target.segments.length === 0 ? '.' : target.segments.join('/'));
        this.#tree.add(segments, 'symlink', target, keys);
        return;
      }
      case 'hardlink': {
        const target = parsePortablePath(linkpathOf(entry, entryPath));
        const unsafe = this.#tree.checkHardlinkTarget(target, limits.maxDepth);
        if (unsafe !== undefined) refuse(unsafe);
        this.#count(entryPath);
        writer.link(absolute, safeJoin(root, target.segments, entryPath, 'UNPACK_UNSAFE_LINK'));
        this.#tree.add(segments, 'file', undefined, keys);
        return;
      }
    }
  }

  /** Data of the entry `extract` took last: a file's is queued (copied); any other's is dropped. */
  data(chunk: Buffer): void {
    const file = this.#file;
    if (file === undefined) return;
    file.received += chunk.length;
    this.#options.writer.fileData(chunk);
  }

  /**
   * The end of the entry `extract` took last. A file whose data came short of its header's size
   * (a tar that ends inside it) is refused instead of being closed.
   */
  end(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#file = undefined;
    if (file.received !== file.size) {
      throw new UnpackError('ARTIFACT_CORRUPT', `the tar ends inside an entry (${file.received} of ${file.size} bytes)`, { entryPath: file.entryPath });
    }
    this.#options.writer.fileEnd();
  }

  /**
   * Absolute paths of every regular file (hardlinks included) and directory created, for a
   * flush to disk one by one (built on demand: only the fallback of syncTree needs them).
   */
  createdPaths(): { files: string[]; dirs: string[] } {
    const files: string[] = [];
    const dirs: string[] = [];
    for (const { key, kind } of this.#tree.nodes()) {
      if (kind === 'file') files.push(path.join(this.#options.root, key));
      else if (kind === 'dir') dirs.push(path.join(this.#options.root, key));
    }
    return { files, dirs };
  }

  /**
   * After the last entry: re-resolves every symlink against the final tree, since a symlink
   * extracted later can turn an earlier, harmless target into an escape.
   */
  verifySymlinks(): void {
    for (const { segments, target } of this.#tree.symlinks()) {
      const unsafe = this.#tree.checkSymlinkTarget(segments, target, this.#options.limits.maxDepth);
      if (unsafe !== undefined) {
        throw new UnpackError(unsafe.code, `${unsafe.problem} once the whole artifact is unpacked`, {
          entryPath: segments.join('/'),
        });
      }
    }
  }

  /** Creates each missing parent dir, one level at a time (checkPlacement vetted them all). */
  #ensureDirs(dirSegments: readonly string[], entryPath: string): void {
    let key = '';
    for (let depth = 1; depth <= dirSegments.length; depth++) {
      key = depth === 1 ? (dirSegments[0] as string) : `${key}/${dirSegments[depth - 1] as string}`;
      if (!this.#tree.isDirKey(key)) this.#makeDir(dirSegments.slice(0, depth), entryPath);
    }
  }

  /**
   * Counts one more thing created on disk (file, dir, implicit parent dir, symlink, hardlink)
   * against limits.maxFiles, before creating it.
   */
  #count(entryPath: string): void {
    const { maxFiles } = this.#options.limits;
    if (this.#entries + 1 > maxFiles) {
      throw new UnpackError(
        'UNPACK_TOO_MANY_FILES',
        `the artifact creates more than limits.maxFiles (${maxFiles}) files, directories and links`,
        { entryPath },
      );
    }
    this.#entries += 1;
  }

  #makeDir(
    segments: readonly string[],
    entryPath: string,
    keys: PathKeys = pathKeys(segments),
    absolute: string = safeJoin(this.#options.root, segments, entryPath),
  ): void {
    this.#count(entryPath);
    this.#options.writer.dir(absolute, DIR_MODE);
    this.#tree.add(segments, 'dir', undefined, keys);
  }
}

function linkpathOf(entry: TarEntryHeader, entryPath: string): string {
  const raw: unknown = entry.linkpath;
  if (typeof raw !== 'string' || raw === '' || raw.includes('\0')) {
    throw new UnpackError('ARTIFACT_CORRUPT', 'a link entry has no usable target', { entryPath });
  }
  return raw;
}

/** Lexical resolution of a vetted relative target from the link's directory (for safeJoin). */
function resolvedInside(linkSegments: readonly string[], target: readonly string[]): string[] {
  const joined = path.posix.normalize([...linkSegments.slice(0, -1), ...target, 'x'].join('/'));
  return joined.split('/');
}
