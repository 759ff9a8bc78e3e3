// Where an entry lands and with which mode: decided here, created by the writer threads.
import path from 'node:path';
import { UnpackError } from './unpack-error';

/** Mode of every directory we create. */
export const DIR_MODE = 0o755;

/**
 * The mode a regular file gets: 0o755 when the tarball marks it executable for anyone, else
 * 0o644. Never setuid/setgid/sticky, never group- or world-writable.
 */
export function fileModeOf(tarMode: number | undefined): number {
  return ((tarMode ?? 0) & 0o111) !== 0 ? 0o755 : 0o644;
}

/**
 * Defense in depth: the absolute path of `segments` inside `root` (absolute and normalised),
 * refused unless it is strictly below `root` (entries were already checked; this catches a
 * checker bug, not an archive). Plain segments (no '', '.', '..', separator or NUL: every
 * checked entry path) are joined as they are; anything else goes through path.join and must
 * still land below `root`.
 */
export function safeJoin(
  root: string,
  segments: readonly string[],
  entryPath: string,
  code: 'UNPACK_PARENT_PATH' | 'UNPACK_UNSAFE_LINK' = 'UNPACK_PARENT_PATH',
): string {
  if (segments.length > 0 && allPlain(segments)) return `${root}${path.sep}${segments.join(path.sep)}`;
  const absolute = path.join(root, ...segments);
  if (segments.length === 0 || !absolute.startsWith(root + path.sep)) {
    throw new UnpackError(code, 'an entry or its link target resolves outside the release dir', { entryPath });
  }
  return absolute;
}

const SEP = path.sep.charCodeAt(0);
const SLASH = 0x2f;
const NUL = 0;

function allPlain(segments: readonly string[]): boolean {
  for (const segment of segments) {
    if (!isPlainSegment(segment)) return false;
  }
  return true;
}

/** Not '', '.' or '..', and no '/', path.sep or NUL in it: one scan of its characters. */
export function isPlainSegment(segment: string): boolean {
  if (segment === '' || segment === '.' || segment === '..') return false;
  for (let at = 0; at < segment.length; at++) {
    const code = segment.charCodeAt(at);
    if (code === SLASH || code === SEP || code === NUL) return false;
  }
  return true;
}
