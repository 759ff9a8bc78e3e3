import { closeSync, constants, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Header, Pax, type HeaderData } from 'tar';
import type { TreeEntry, TreeListing } from './tree-walk';

/** Files and bytes packed so far (regular files only), for a progress bar. */
export interface PackProgress {
  readonly files: number;
  readonly bytes: number;
}

const BLOCK_BYTES = 512;
/** Bytes of tar produced per read: the reads and headers of many small files in one go. */
export const TAR_CHUNK_BYTES = 1024 * 1024;
/** O_NOFOLLOW: a file swapped for a symlink after the walk fails instead of packing what it points to. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/** The regular file being copied into the archive. */
interface OpenFile {
  readonly fd: number;
  readonly rel: string;
  readonly size: number;
  remaining: number;
}

/**
 * A listing (from `walkTree`) as an uncompressed tar, in the listing's order, with the headers
 * node-tar's Pack writes with `portable: true` (its Header and Pax classes encode them): paths
 * relative (directories with a trailing '/'), modes as node-tar's portable modeFix, no uid/gid or
 * user names, no mtime on directories, symlinks as links (the target read during the walk), a
 * second path of a multiply linked file as a hardlink to the first, pax headers for long names,
 * two zero blocks at the end.
 *
 * File contents are read with synchronous reads, a megabyte of archive per `_read`: for a
 * node_modules tree of 20,000 small files one thread-pool round trip per open/read/close (what
 * node-tar does, one file at a time) cost several times the reading itself. A file that vanished,
 * cannot be read or changed size since the walk fails the stream (its error names the file).
 */
export class TarStream extends Readable {
  readonly #listing: TreeListing;
  readonly #onFile: ((progress: PackProgress) => void) | undefined;
  /** dev:ino of each multiply linked file packed, to the path it was packed under. */
  readonly #linked = new Map<string, string>();
  #next = 0;
  #file: OpenFile | undefined;
  /** Zero bytes still to write after the current file's data. */
  #padding = 0;
  #eofWritten = false;
  #files = 0;
  #bytes = 0;

  constructor(listing: TreeListing, onFile?: (progress: PackProgress) => void) {
    super({ highWaterMark: TAR_CHUNK_BYTES });
    this.#listing = listing;
    this.#onFile = onFile;
  }

  override _read(): void {
    const out = Buffer.allocUnsafe(TAR_CHUNK_BYTES);
    let used = 0;
    try {
      used = this.#fill(out);
    } catch (error: unknown) {
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (used > 0) this.push(out.subarray(0, used));
    if (this.#eofWritten && this.#file === undefined && this.#padding === 0) this.push(null);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeFile();
    callback(error);
  }

  /** Writes as much archive as fits into `out`; returns the bytes written. */
  #fill(out: Buffer): number {
    let used = 0;
    for (;;) {
      if (this.#file !== undefined) {
        used = this.#copyData(out, used);
        if (this.#file !== undefined) return used; // out is full
      }
      if (this.#padding > 0) {
        const zeros = Math.min(this.#padding, out.length - used);
        out.fill(0, used, used + zeros);
        used += zeros;
        this.#padding -= zeros;
        if (this.#padding > 0) return used;
      }
      const entry = this.#listing.entries[this.#next];
      if (entry === undefined) {
        if (this.#eofWritten) return used;
        if (out.length - used < 2 * BLOCK_BYTES) return used;
        out.fill(0, used, used + 2 * BLOCK_BYTES);
        this.#eofWritten = true;
        return used + 2 * BLOCK_BYTES;
      }
      const { headers, fileSize } = this.#headersOf(entry);
      if (headers.length > out.length - used) {
        if (used > 0) return used;
        throw new Error(`the tar header of ${entry.path} is larger than ${out.length} bytes`);
      }
      headers.copy(out, used);
      used += headers.length;
      this.#next += 1;
      if (fileSize !== undefined) this.#startFile(entry.path, fileSize);
    }
  }

  /** The header block(s) of `entry` (a pax header first when needed), and its data size when it is a regular file. */
  #headersOf(entry: TreeEntry): { headers: Buffer; fileSize: number | undefined } {
    const { stats } = entry;
    let type: HeaderData['type'];
    let entryPath = entry.path;
    let linkpath: string | undefined;
    let size = 0;
    let mtime: Date | undefined = stats.mtime;
    switch (entry.kind) {
      case 'directory':
        type = 'Directory';
        entryPath = `${entry.path}/`;
        mtime = undefined; // portable: no mtime on directories
        break;
      case 'symlink':
        type = 'SymbolicLink';
        linkpath = entry.linkTarget ?? '';
        break;
      case 'file': {
        const first = stats.nlink > 1 ? this.#firstLink(entry) : undefined;
        if (first !== undefined) {
          type = 'Link';
          linkpath = first;
        } else {
          type = 'File';
          size = entry.size;
        }
        break;
      }
    }
    const header = new Header({ path: entryPath, linkpath, mode: portableMode(stats.mode, entry.kind === 'directory'), size, mtime, type });
    const blocks: Buffer[] = [];
    if (header.encode()) blocks.push(new Pax({ mtime, path: entryPath, linkpath, size }, false).encode());
    if (header.block === undefined) throw new Error(`could not encode the tar header of ${entry.path}`);
    blocks.push(header.block);
    return { headers: blocks.length === 1 ? header.block : Buffer.concat(blocks), fileSize: type === 'File' ? size : undefined };
  }

  /** A regular file's header is out: count it, and open its data (if any) to copy next. */
  #startFile(rel: string, size: number): void {
    this.#files += 1;
    this.#bytes += size;
    this.#onFile?.({ files: this.#files, bytes: this.#bytes });
    if (size > 0) this.#openFile(rel, size);
  }

  /** The path a multiply linked file was first packed under, or undefined (and remembered). */
  #firstLink(entry: TreeEntry): string | undefined {
    const key = `${entry.stats.dev}:${entry.stats.ino}`;
    const first = this.#linked.get(key);
    if (first === undefined) this.#linked.set(key, entry.path);
    return first;
  }

  #openFile(rel: string, size: number): void {
    const fd = openSync(path.join(this.#listing.root, rel), OPEN_FLAGS);
    this.#file = { fd, rel, size, remaining: size };
  }

  /** Copies the open file's data into `out` from `used`; closes it (and sets its padding) at its end. */
  #copyData(out: Buffer, used: number): number {
    const file = this.#file;
    if (file === undefined) return used;
    while (file.remaining > 0 && used < out.length) {
      const read = readSync(file.fd, out, used, Math.min(file.remaining, out.length - used), null);
      if (read === 0) {
        throw new Error(`${file.rel} in ${this.#listing.root} shrank while it was packed (${file.size - file.remaining} of ${file.size} bytes); push again`);
      }
      used += read;
      file.remaining -= read;
    }
    if (file.remaining === 0) {
      this.#closeFile();
      this.#padding = (BLOCK_BYTES - (file.size % BLOCK_BYTES)) % BLOCK_BYTES;
    }
    return used;
  }

  #closeFile(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#file = undefined;
    closeSync(file.fd);
  }
}

/** node-tar's modeFix with `portable`: permission bits only, at least rw for the owner, never group/world writable, dirs searchable where readable. */
export function portableMode(mode: number, isDir: boolean): number {
  let fixed = ((mode & 0o7777) | 0o600) & ~0o22;
  if (isDir) {
    if (fixed & 0o400) fixed |= 0o100;
    if (fixed & 0o40) fixed |= 0o10;
    if (fixed & 0o4) fixed |= 0o1;
  }
  return fixed;
}
