import { PassThrough, type Readable } from 'node:stream';
import { Pack, type WriteEntry } from 'tar';
import { DeployError, describeError } from '../agent/errors';
import { walkTree, type TreeListing } from './tree-walk';

/** Files and bytes packed so far (regular files only), for a progress bar. */
export interface PackProgress {
  readonly files: number;
  readonly bytes: number;
}

export interface PackOptions {
  /** Called as each regular file starts streaming into the archive. */
  readonly onFile?: (progress: PackProgress) => void;
}

/**
 * Streams `listing` (from `walkTree`) as a gzip'd tar: relative paths in the
 * listing's order, directories included, symlinks stored as links, portable
 * headers (no uid/gid/user names). The tree is read as the stream is read, so
 * memory stays flat however big the app is. A file that vanishes or cannot be
 * read fails the stream with a DeployError.
 */
export function packTree(listing: TreeListing, options: PackOptions = {}): Readable {
  let files = 0;
  let bytes = 0;
  const pack = new Pack({
    cwd: listing.root,
    gzip: true,
    portable: true,
    strict: true,
    follow: false,
    noDirRecurse: true,
    onWriteEntry: (entry: WriteEntry) => {
      if (entry.type !== 'File' || entry.stat === undefined) return;
      files += 1;
      bytes += entry.stat.size;
      options.onFile?.({ files, bytes });
    },
  });
  // Listen for errors before anything runs: node-tar stats entries as soon as they are queued.
  const out = new PassThrough();
  pack.on('error', (error: unknown) => {
    if (error instanceof DeployError) out.destroy(error);
    else out.destroy(new DeployError('PACK_FAILED', `packing ${listing.root} failed: ${describeError(error)}`, { cause: error }));
  });
  // A reader that gives up (a failed upload) leaves the packer paused, not writing into a dead stream.
  out.on('close', () => {
    if (!out.readableEnded) pack.unpipe(out);
  });
  pack.pipe(out);
  // Queue every entry: node-tar writes them in queue order.
  for (const entry of listing.entries) pack.add(entry.path);
  pack.end();
  return out;
}

/** Packs `dir` as `packTree` does, after walking it (and refusing what a release must not contain). */
export async function packDirectory(dir: string, options: PackOptions = {}): Promise<Readable> {
  return packTree(await walkTree(dir), options);
}

/** How much `packTree` will read from `dir`, for progress totals. Refuses what `walkTree` refuses. */
export async function countTree(dir: string): Promise<PackProgress> {
  const { files, bytes } = await walkTree(dir);
  return { files, bytes };
}
