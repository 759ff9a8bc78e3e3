import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** One entry of a directory tree: what `ls -l` would show, plus the mtime of files. */
export interface TreeEntry {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: string;
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly target?: string;
}

/**
 * Every entry under `root`, keyed by its path relative to `root`. Files carry
 * size and mtime, so a file rewritten with the same bytes still shows as changed.
 */
export async function snapshotTree(root: string): Promise<Map<string, TreeEntry>> {
  const entries = new Map<string, TreeEntry>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const stats = await lstat(full);
      const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
      const relative = path.relative(root, full);
      if (stats.isSymbolicLink()) entries.set(relative, { type: 'symlink', mode, target: await readlink(full) });
      else if (stats.isDirectory()) {
        entries.set(relative, { type: 'dir', mode });
        await walk(full);
      } else if (stats.isFile()) entries.set(relative, { type: 'file', mode, size: stats.size, mtimeMs: stats.mtimeMs });
      else entries.set(relative, { type: 'other', mode });
    }
  };
  await walk(root);
  return entries;
}

/** Paths whose entries differ between two snapshots (added, removed or changed), sorted. */
export function changedPaths(before: ReadonlyMap<string, TreeEntry>, after: ReadonlyMap<string, TreeEntry>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => JSON.stringify(before.get(p)) !== JSON.stringify(after.get(p))).sort();
}
