import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DeployError, describeError } from '../../agent/errors';
import { assertSymlinkInside } from './symlink-check';

export type TreeEntryKind = 'file' | 'directory' | 'symlink';

export interface TreeEntry {
  /** Relative to the root, `/`-separated, no leading `./`. */
  readonly path: string;
  readonly kind: TreeEntryKind;
  /** Bytes of a regular file; 0 for the others. */
  readonly size: number;
  /** What lstat said, for the archive headers (mode, mtime, and dev/ino/nlink to spot hardlinks). */
  readonly stats: Stats;
  /** A symlink's target, as read (and checked to stay inside) during the walk. */
  readonly linkTarget?: string;
}

/** What `packTree` will put in the archive, in archive order. */
export interface TreeListing {
  /** The absolute root the paths are relative to. */
  readonly root: string;
  readonly entries: readonly TreeEntry[];
  /** Regular files. */
  readonly files: number;
  /** Their total size. */
  readonly bytes: number;
}

/** Directories of this name are version-control metadata, never part of a release. */
const SKIPPED_NAMES = new Set(['.git']);

/**
 * Walks `root` depth first, each directory's children sorted by name (code
 * unit order, independent of locale and file system), so one tree always
 * gives one listing. Directories are listed before their contents. Refuses
 * what a release must not contain: symlinks out of the tree, sockets, FIFOs
 * and devices. Skips `.git`.
 *
 * The readdir/lstat calls are synchronous: a node_modules tree is tens of
 * thousands of them, and one thread-pool round trip each made the walk of
 * 25,000 entries take 1.3 s (`npm run bench:artifact`) instead of ~0.1 s.
 * Nothing else runs in the CLI meanwhile.
 */
export async function walkTree(root: string): Promise<TreeListing> {
  const absoluteRoot = path.resolve(root);
  await assertDirectory(absoluteRoot);
  const realRoot = await realpath(absoluteRoot);
  const entries: TreeEntry[] = [];
  let files = 0;
  let bytes = 0;

  const visit = async (relDir: string): Promise<void> => {
    for (const name of sortedNames(absoluteRoot, relDir)) {
      if (SKIPPED_NAMES.has(name)) continue;
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const absolute = `${absoluteRoot}${path.sep}${rel}`;
      const info = readSync(() => lstatSync(absolute), `cannot read ${rel} in ${absoluteRoot}`);
      if (info.isDirectory()) {
        entries.push({ path: rel, kind: 'directory', size: 0, stats: info });
        await visit(rel);
      } else if (info.isFile()) {
        entries.push({ path: rel, kind: 'file', size: info.size, stats: info });
        files += 1;
        bytes += info.size;
      } else if (info.isSymbolicLink()) {
        const target = readSync(() => readlinkSync(absolute), `cannot read ${rel} in ${absoluteRoot}`);
        await assertSymlinkInside(absoluteRoot, realRoot, rel, target);
        entries.push({ path: rel, kind: 'symlink', size: 0, stats: info, linkTarget: target });
      } else {
        throw new DeployError('PACK_SPECIAL_FILE', `${rel} in ${absoluteRoot} is a ${specialKind(info)}; only files, directories and symlinks can be packed`);
      }
    }
  };
  await visit('');
  return { root: absoluteRoot, entries, files, bytes };
}

async function assertDirectory(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DeployError('PACK_DIR_MISSING', `app dir ${dir} does not exist`, { cause: error });
    }
    throw new DeployError('PACK_READ_FAILED', `cannot read app dir ${dir}: ${describeError(error)}`, { cause: error });
  }
  if (!info.isDirectory()) throw new DeployError('PACK_DIR_MISSING', `app dir ${dir} is not a directory`);
}

function sortedNames(root: string, relDir: string): string[] {
  const names = readSync(() => readdirSync(path.join(root, relDir)), `cannot read directory ${relDir || '.'} in ${root}`);
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function readSync<T>(read: () => T, what: string): T {
  try {
    return read();
  } catch (error) {
    throw new DeployError('PACK_READ_FAILED', `${what}: ${describeError(error)}`, { cause: error });
  }
}

function specialKind(info: { isSocket(): boolean; isFIFO(): boolean; isBlockDevice(): boolean }): string {
  if (info.isSocket()) return 'socket';
  if (info.isFIFO()) return 'FIFO (named pipe)';
  if (info.isBlockDevice()) return 'block device';
  return 'character device';
}
