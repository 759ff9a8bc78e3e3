import { PassThrough, type Readable } from 'node:stream';
import { DeployError, describeError } from '../../agent/errors';
import { ParallelGzip } from './parallel-gzip';
import { TarStream, type PackProgress } from './tar-stream';
import { walkTree, type TreeListing } from './tree-walk';

export type { PackProgress } from './tar-stream';

export interface PackOptions {
  /** Called as each regular file starts streaming into the archive. */
  readonly onFile?: (progress: PackProgress) => void;
}

/**
 * Streams `listing` (from `walkTree`) as a gzip'd tar: relative paths in the
 * listing's order, directories included, symlinks stored as links, portable
 * headers (no uid/gid/user names) — see TarStream — compressed at gzip's
 * default level on every core (ParallelGzip: a gzip file of 1 MiB members).
 * The tree is read as the stream is read, so memory stays flat however big
 * the app is. A file that vanishes, cannot be read or changes size fails the
 * stream with a DeployError.
 */
export function packTree(listing: TreeListing, options: PackOptions = {}): Readable {
  const tar = new TarStream(listing, options.onFile);
  const gzip = new ParallelGzip();
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const fail = (error: unknown): void => {
    if (error instanceof DeployError) out.destroy(error);
    else out.destroy(new DeployError('PACK_FAILED', `packing ${listing.root} failed: ${describeError(error)}`, { cause: error }));
  };
  tar.on('error', fail);
  gzip.on('error', fail);
  // A reader that gives up (a failed upload) stops the packer: no file stays open.
  out.on('close', () => {
    tar.destroy();
    gzip.destroy();
  });
  tar.pipe(gzip).pipe(out);
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
