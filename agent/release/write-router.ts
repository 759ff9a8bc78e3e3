import path from 'node:path';

/**
 * Directories this deep (the root's children and grandchildren: `node_modules/<package>`) start
 * a subtree of their own on the next writer thread in turn; deeper ones stay on their parent's
 * thread. Each thread then works through whole subtrees, and waits for another thread only at a
 * subtree's first mkdir.
 */
const SUBTREE_DEPTH = 2;

/** Where a directory was created and where its entries are created: which thread, after which operation. */
export interface DirPlace {
  /** The thread that created the directory and creates everything in it. */
  readonly shard: number;
  /** The operation that created the directory (-1: the root, which exists). */
  readonly op: number;
  /** 0 for the root. */
  readonly depth: number;
}

/**
 * Which writer thread creates what (EntryWriteQueue): every entry on its directory's thread,
 * each subtree on one thread (round robin), a hardlink on the thread that created its target.
 */
export class WriteRouter {
  readonly #dirs = new Map<string, DirPlace>();
  /** Hardlinks made so far and their thread (not their dir's): a link to a link goes there too. */
  readonly #links = new Map<string, number>();
  #nextSubtree = 0;
  /**
   * The last parent placeOf looked up and its place: a tar lists a directory's entries together,
   * so the next entry's parent is usually this one (found without slicing or hashing its path).
   */
  #lastParent = '';
  #lastPlace: DirPlace | undefined;

  /** `root`: the existing dir everything is created in. */
  constructor(root: string) {
    this.#dirs.set(path.resolve(root), { shard: 0, op: -1, depth: 0 });
  }

  /** Where entries of `absolute`'s parent go; the parent was routed before (or is the root). */
  placeOf(absolute: string): DirPlace {
    const last = absolute.lastIndexOf(path.sep);
    // parentOf(absolute) is #lastParent: the same plain form (see parentOf), the same prefix.
    if (this.#lastPlace !== undefined && last === this.#lastParent.length && isPlainParent(absolute, last) && absolute.startsWith(this.#lastParent)) {
      return this.#lastPlace;
    }
    const parent = parentOf(absolute);
    const place = this.#dirs.get(parent);
    if (place === undefined) throw new Error(`entry write queue: ${absolute} is queued before its parent directory`);
    this.#lastParent = parent;
    this.#lastPlace = place;
    return place;
  }

  /** Whether a new directory in `parent` starts a subtree (one thread's work). */
  startsSubtree(parent: DirPlace): boolean {
    return parent.depth + 1 <= SUBTREE_DEPTH;
  }

  /** The thread that creates a new directory in `parent` (and later its entries). */
  dirShard(parent: DirPlace, threads: number): number {
    return this.startsSubtree(parent) ? this.#nextSubtree++ % threads : parent.shard;
  }

  /** The directory `absolute` is created by operation `op` on `shard`. */
  addDir(absolute: string, parent: DirPlace, shard: number, op: number): void {
    if (absolute === this.#lastParent) this.#lastPlace = undefined;
    this.#dirs.set(absolute, { shard, op, depth: parent.depth + 1 });
  }

  /** The thread that created the file `existingAbsolute` (a hardlink's target). */
  linkShard(existingAbsolute: string): number {
    return this.#links.get(existingAbsolute) ?? this.placeOf(existingAbsolute).shard;
  }

  addLink(absolute: string, shard: number): void {
    this.#links.set(absolute, shard);
  }

  /** A thread joined: it takes the next subtree. */
  threadJoined(shard: number): void {
    this.#nextSubtree = shard;
  }
}

/**
 * path.dirname of an absolute path, without its general parsing when the path is plain: with
 * its last separator past index 1 and not at the end, dirname is everything before that
 * separator ('/a/b' → '/a'; root forms like '//x' and trailing separators take path.dirname).
 */
export function parentOf(absolute: string): string {
  const last = absolute.lastIndexOf(path.sep);
  if (isPlainParent(absolute, last)) return absolute.slice(0, last);
  return path.dirname(absolute);
}

/** `last` (the last separator in `absolute`) splits it into a dirname and a base name as it stands. */
function isPlainParent(absolute: string, last: number): boolean {
  return last > 1 && last < absolute.length - 1 && path.sep === '/';
}
