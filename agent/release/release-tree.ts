import type { Refusal } from './unpack-error';

/** What an extracted path is. Hardlinks are files: they share a regular file's inode. */
export type TreeNodeKind = 'dir' | 'file' | 'symlink';

/** A symlink's target, normalised: rooted (absolute or a drive letter) and its segments. */
export interface LinkTarget {
  readonly rooted: boolean;
  readonly segments: readonly string[];
}

/**
 * What the tree records per path: the kind of a dir or file (a shared string, so the 20,000+
 * files of a release cost a map entry each and no object), a symlink's target.
 */
type TreeValue = 'dir' | 'file' | LinkTarget;

function kindOf(value: TreeValue): TreeNodeKind {
  return typeof value === 'string' ? value : 'symlink';
}

/** How many symlinks one resolution may follow (Linux gives up at 40 too: ELOOP). */
const MAX_SYMLINK_HOPS = 40;

/** A path's key (segments joined with '/') and its parent's ('' for the root). */
export interface PathKeys {
  readonly key: string;
  readonly parentKey: string;
}

/** The keys of `segments` (not empty), computed once per entry and handed to each check. */
export function pathKeys(segments: readonly string[]): PathKeys {
  const key = segments.join('/');
  const last = segments[segments.length - 1] ?? '';
  return { key, parentKey: segments.length > 1 ? key.slice(0, key.length - last.length - 1) : '' };
}

/**
 * Paths that may only name one thing on some filesystem: NFC plus lower case (foldUnicode). A
 * pure-ASCII key takes a shortcut with the same result: NFC leaves ASCII as it is (no ASCII
 * character decomposes or composes), and lower-casing ASCII gives ASCII. A key that is already
 * its own fold is returned as it is, not as a copy: the tree keeps one fold per path.
 */
export function foldPath(key: string): string {
  let upper = false;
  for (let at = 0; at < key.length; at++) {
    const code = key.charCodeAt(at);
    if (code > 0x7f) return foldUnicode(key);
    if (code >= 0x41 && code <= 0x5a) upper = true;
  }
  return upper ? key.toLowerCase() : key;
}

/** foldPath of any key: NFC, lower case, NFC again (lower-casing can denormalise). */
export function foldUnicode(key: string): string {
  return key.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * The model of everything extracted so far into the (fresh, private) temp dir. The release dir
 * holds exactly these paths, so links and collisions are judged here, before touching the disk.
 */
export class ReleaseTree {
  /** Every path as created ('/'-joined) and what it is. */
  readonly #exact = new Map<string, TreeValue>();
  /**
   * Per folded key, the first path recorded with that fold (a key of #exact, whose kind is what
   * #exact holds for it now): two paths share a fold only when both are plain files.
   */
  readonly #folded = new Map<string, string>();
  /** The last key folded and its fold: checkPlacement then add fold the same key. */
  #lastFoldKey = '';
  #lastFolded = '';
  /**
   * The last key isDirKey found to be a directory: a tar lists a directory's entries together,
   * so the next entry's parent is usually this one. Exact nodes are never removed, and add()
   * forgets it if the key is ever recorded as something else.
   */
  #lastDirKey: string | undefined;

  get size(): number {
    return this.#exact.size;
  }

  isDir(segments: readonly string[]): boolean {
    return this.isDirKey(segments.join('/'));
  }

  /** isDir for a path already joined with '/'. */
  isDirKey(key: string): boolean {
    if (key === this.#lastDirKey) return true;
    if (this.#exact.get(key) !== 'dir') return false;
    this.#lastDirKey = key;
    return true;
  }

  /**
   * May an entry of `kind` be created at `segments`? Refuses a path under a symlink or a file,
   * a second entry for one path (except dir over dir), and a dir or symlink whose path equals
   * another after NFC/NFD normalisation or case folding (CVE-2021-37712 / -37701 class).
   */
  checkPlacement(segments: readonly string[], kind: TreeNodeKind, keys: PathKeys = pathKeys(segments)): Refusal | undefined {
    const { parentKey } = keys;
    // Every node's ancestors are exact directories (add() refuses anything else), so when the
    // parent is one, each ancestor would pass the loop below: skip it.
    const ancestorsChecked = parentKey === '' || this.isDirKey(parentKey);
    let key = '';
    for (let depth = 1; depth < segments.length && !ancestorsChecked; depth++) {
      key = depth === 1 ? (segments[0] as string) : `${key}/${segments[depth - 1] as string}`;
      const node = this.#find(key);
      if (node === undefined) continue;
      if (node.kind === 'symlink') {
        return { code: 'UNPACK_UNSAFE_LINK', problem: `the entry's path passes through the symlink ${JSON.stringify(node.key)} extracted earlier` };
      }
      if (node.kind === 'file') {
        return { code: 'UNPACK_NAME_COLLISION', problem: `the entry's path passes through the file ${JSON.stringify(node.key)}` };
      }
      if (node.key !== key) {
        return collision(`the directory ${JSON.stringify(key)} differs from the directory ${JSON.stringify(node.key)} only by case or Unicode normalisation`);
      }
    }
    key = keys.key;
    const same = this.#exact.get(key);
    if (same !== undefined) {
      const sameKind = kindOf(same);
      if (sameKind === 'dir' && kind === 'dir') return undefined;
      const replacing = sameKind === 'symlink' ? 'would replace the symlink' : `would replace the ${sameKind}`;
      return collision(`the entry is listed twice: it ${replacing} ${JSON.stringify(key)} extracted earlier`);
    }
    const alike = this.#firstWithFold(this.#fold(key));
    if (alike !== undefined && !(alike.kind === 'file' && kind === 'file')) {
      return collision(`the entry's path equals ${JSON.stringify(alike.key)} (a ${alike.kind}) after Unicode normalisation or case folding`);
    }
    return undefined;
  }

  /**
   * Records a path created. Its parent must be a directory recorded before (or the root):
   * checkPlacement relies on that.
   */
  add(segments: readonly string[], kind: TreeNodeKind, target?: LinkTarget, keys: PathKeys = pathKeys(segments)): void {
    const { key, parentKey } = keys;
    if (key === '' || (parentKey !== '' && !this.isDirKey(parentKey))) {
      throw new Error(`ReleaseTree: ${JSON.stringify(key)} added before its parent directory`);
    }
    const value: TreeValue | undefined = kind === 'symlink' ? target : kind;
    if (value === undefined) throw new Error(`ReleaseTree: the symlink ${JSON.stringify(key)} is added without its target`);
    if (kind !== 'dir' && key === this.#lastDirKey) this.#lastDirKey = undefined;
    this.#exact.set(key, value);
    const folded = this.#fold(key);
    if (!this.#folded.has(folded)) this.#folded.set(folded, key);
  }

  /** The node at `key`, or else the first one whose path folds like it. */
  #find(key: string): { readonly key: string; readonly kind: TreeNodeKind } | undefined {
    const exact = this.#exact.get(key);
    return exact === undefined ? this.#firstWithFold(foldPath(key)) : { key, kind: kindOf(exact) };
  }

  /** The first node recorded whose path folds to `folded`. */
  #firstWithFold(folded: string): { readonly key: string; readonly kind: TreeNodeKind } | undefined {
    const alikeKey = this.#folded.get(folded);
    if (alikeKey === undefined) return undefined;
    const alike = this.#exact.get(alikeKey);
    return alike === undefined ? undefined : { key: alikeKey, kind: kindOf(alike) };
  }

  #fold(key: string): string {
    if (this.#lastFoldKey !== key) {
      this.#lastFoldKey = key;
      this.#lastFolded = foldPath(key);
    }
    return this.#lastFolded;
  }

  /**
   * Resolves a symlink target the way the kernel would, following symlinks already in the tree,
   * and refuses it if any step leaves the release dir (absolute targets included).
   */
  checkSymlinkTarget(
    linkSegments: readonly string[],
    target: LinkTarget,
    maxDepth: number,
  ): Refusal | undefined {
    if (target.rooted) {
      return escapes('a symlink has an absolute target (a root or a drive letter)');
    }
    if (target.segments.length > 2 * maxDepth) {
      return { code: 'UNPACK_TOO_DEEP', problem: `a symlink target is ${target.segments.length} segments long, more than twice limits.maxDepth (${maxDepth})` };
    }
    const stack = linkSegments.slice(0, -1);
    /** Segments still to walk, last one first (so taking the next one is a cheap pop). */
    const pending = [...target.segments].reverse();
    let hops = 0;
    for (let segment = pending.pop(); segment !== undefined; segment = pending.pop()) {
      if (segment === '..') {
        if (stack.length === 0) return escapes('a symlink target resolves outside the release dir');
        stack.pop();
        continue;
      }
      stack.push(segment);
      const key = stack.join('/');
      const via = this.#exact.get(key);
      if (via === undefined) {
        const alike = this.#firstWithFold(foldPath(key));
        if (alike?.kind === 'symlink') {
          return escapes(`a symlink target goes through ${JSON.stringify(key)}, which differs from the symlink ${JSON.stringify(alike.key)} only by case or normalisation`);
        }
        continue;
      }
      if (typeof via === 'string') continue;
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) return escapes('a symlink target loops through other symlinks');
      if (via.rooted) return escapes(`a symlink target goes through the symlink ${JSON.stringify(key)}, which leaves the release dir`);
      stack.pop();
      for (let i = via.segments.length - 1; i >= 0; i--) pending.push(via.segments[i] as string);
    }
    return undefined;
  }

  /**
   * A hardlink target must name, exactly and without `..` or a root, a regular file extracted
   * earlier from this artifact: never a symlink, a dir, or anything reached through a symlink
   * (CVE-2018-20834, CVE-2026-23745, -24842, -26960, -29786 classes).
   */
  checkHardlinkTarget(
    target: LinkTarget,
    maxDepth: number,
  ): Refusal | undefined {
    if (target.rooted) return escapes('a hardlink has an absolute target (a root or a drive letter)');
    if (target.segments.includes('..')) return escapes("a hardlink target contains '..'");
    if (target.segments.length === 0) return escapes('a hardlink has an empty target');
    if (target.segments.length > maxDepth) return escapes('a hardlink target is deeper than any extracted file');
    for (let depth = 1; depth < target.segments.length; depth++) {
      const key = target.segments.slice(0, depth).join('/');
      const node = this.#find(key);
      if (node?.kind === 'symlink') return escapes(`a hardlink target passes through the symlink ${JSON.stringify(node.key)}`);
    }
    if (this.#exact.get(target.segments.join('/')) !== 'file') {
      return escapes('a hardlink target is not a regular file extracted earlier from this artifact');
    }
    return undefined;
  }

  /** Every path recorded, as created ('/'-joined) and what it is. */
  *nodes(): Generator<{ readonly key: string; readonly kind: TreeNodeKind }> {
    for (const [key, value] of this.#exact) yield { key, kind: kindOf(value) };
  }

  /** Every symlink, to re-check against the final tree (a later symlink can redirect an earlier one). */
  *symlinks(): Generator<{ readonly segments: readonly string[]; readonly target: LinkTarget }> {
    for (const [key, value] of this.#exact) {
      if (typeof value !== 'string') yield { segments: key.split('/'), target: value };
    }
  }
}

function collision(problem: string): Refusal {
  return { code: 'UNPACK_NAME_COLLISION', problem };
}

function escapes(problem: string): Refusal {
  return { code: 'UNPACK_UNSAFE_LINK', problem };
}
