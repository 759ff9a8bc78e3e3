import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DeployError } from '../../agent/errors';
import { checkArchive } from './archive-check';
import { resolveEntry } from './entry-file';
import { assertGzipFile } from './gzip-file';
import { packTree, type PackProgress } from './pack';
import type { PushProgress } from '../output/push-progress';
import { walkTree } from './tree-walk';

/** What a push uploads, checked before the store sees a byte of it. */
export interface ArtifactSource {
  /** For progress and messages: the app dir or the file. */
  readonly label: string;
  /** The manifest's `entry`: --entry, else package.json's "main", else server.js (a --dir and a --file alike). */
  readonly entry: string | undefined;
  /** Files and bytes to pack (a dir), for the packing progress. */
  readonly packTotal: PackProgress | undefined;
  /** Bytes to upload when known in advance (a file). */
  readonly uploadBytes: number | undefined;
  /** The artifact bytes (gzip'd tar), streamed. */
  open(progress: PushProgress): Readable;
}

/**
 * An app directory: it must exist, hold at least one file and the entry file,
 * and contain nothing packing refuses (links out of the tree, sockets, devices).
 */
export async function appDirSource(dir: string, entryFlag: string | undefined): Promise<ArtifactSource> {
  const listing = await walkTree(dir);
  if (listing.entries.every((e) => e.kind === 'directory')) {
    throw new DeployError('PACK_DIR_EMPTY', `app dir ${listing.root} is empty: there is nothing to push`);
  }
  const entry = await resolveEntry(listing, entryFlag);
  return {
    label: listing.root,
    entry,
    packTotal: { files: listing.files, bytes: listing.bytes },
    uploadBytes: undefined,
    open: (progress) => packTree(listing, { onFile: (p) => progress.packed(p) }),
  };
}

/** A ready-made .tar.gz: gzip magic bytes, a readable tar, and its entry file in it, found as for a dir. */
export async function archiveFileSource(file: string, entryFlag: string | undefined): Promise<ArtifactSource> {
  const absolute = path.resolve(file);
  const size = await assertGzipFile(absolute);
  const { entry } = await checkArchive(absolute, entryFlag);
  return {
    label: absolute,
    entry,
    packTotal: undefined,
    uploadBytes: size,
    open: () => createReadStream(absolute),
  };
}
