import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { DeployError } from '../../agent/errors';

/**
 * Refuses a symlink whose target leaves the tree being packed: an absolute
 * target, one that resolves (relative to the link's directory) outside the
 * root, or one whose real path on disk is outside the root's real path (a
 * `..` taken after another symlink). A dangling link is kept only when its
 * target has no `..` step, because its real path cannot be checked.
 */
export async function assertSymlinkInside(root: string, realRoot: string, relPath: string, target: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new DeployError('PACK_SYMLINK_OUTSIDE', `symlink ${relPath} -> ${target} ${why}; packing follows no links out of the app dir`);
  };
  if (path.isAbsolute(target)) refuse('has an absolute target (make it relative and inside the app dir)');
  const linkDir = path.dirname(path.join(root, relPath));
  if (!isInside(root, path.resolve(linkDir, target))) refuse('points outside the app dir');

  let real: string;
  try {
    // Not path.join: the OS must resolve each step, symlinks before `..`.
    real = await realpath(`${linkDir}${path.sep}${target}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') refuse('is part of a symlink loop');
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    if (target.split(/[\\/]/).includes('..')) refuse("is dangling and goes through '..', so where it lands cannot be checked");
    return;
  }
  if (!isInside(realRoot, real)) refuse(`resolves to ${real}, outside the app dir`);
}

/** True when `candidate` is `root` or below it. */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
