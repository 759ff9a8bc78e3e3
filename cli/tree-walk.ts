import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DeployError, describeError } from '../agent/errors';
import { assertSymlinkInside } from './symlink-check';

export type TreeEntryKind = 'file' | 'directory' | 'symlink';

export interface TreeEntry {
  /** Relative to the root, `/`-separated, no leading `./`. */
  readonly path: string;
  readonly kind: TreeEntryKind;
  /** Bytes of a regular file; 0 for the others. */
  readonly size: number;
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
 */
export async function walkTree(root: string): Promise<TreeListing> {
  const absoluteRoot = path.resolve(root);
  await assertDirectory(absoluteRoot);
  const realRoot = await realpath(absoluteRoot);
  const entries: TreeEntry[] = [];
  let files = 0;
  let bytes = 0;

  const visit = async (relDir: string): Promise<void> => {
    for (const name of await sortedNames(absoluteRoot, relDir)) {
      if (SKIPPED_NAMES.has(name)) continue;
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const absolute = path.join(absoluteRoot, rel);
      const info = await lstat(absolute).catch((error: unknown) => {
        throw new DeployError('PACK_READ_FAILED', `cannot read ${rel} in ${absoluteRoot}: ${describeError(error)}`, { cause: error });
      });
      if (info.isDirectory()) {
        entries.push({ path: rel, kind: 'directory', size: 0 });
        await visit(rel);
      } else if (info.isFile()) {
        entries.push({ path: rel, kind: 'file', size: info.size });
        files += 1;
        bytes += info.size;
      } else if (info.isSymbolicLink()) {
        await assertSymlinkInside(absoluteRoot, realRoot, rel, await readlink(absolute));
        entries.push({ path: rel, kind: 'symlink', size: 0 });
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

async function sortedNames(root: string, relDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(root, relDir));
  } catch (error) {
    throw new DeployError('PACK_READ_FAILED', `cannot read directory ${relDir || '.'} in ${root}: ${describeError(error)}`, { cause: error });
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function specialKind(info: { isSocket(): boolean; isFIFO(): boolean; isBlockDevice(): boolean }): string {
  if (info.isSocket()) return 'socket';
  if (info.isFIFO()) return 'FIFO (named pipe)';
  if (info.isBlockDevice()) return 'block device';
  return 'character device';
}
