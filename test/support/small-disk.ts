import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A releases dir that runs out of room, for disk-full faults: a tmpfs of a
 * given size mounted over a directory when this process may mount (root with
 * CAP_SYS_ADMIN: a fresh CI machine), else a limit on the size of any file
 * the agent writes (RLIMIT_FSIZE, via `prlimit`, or bash's `ulimit -f`),
 * which fails the write the same way (EFBIG instead of ENOSPC; node ignores
 * SIGXFSZ, so the write fails instead of the process dying).
 */
export type SmallDisk = TmpfsDisk | FileSizeLimit;

export interface TmpfsDisk {
  readonly kind: 'tmpfs';
  readonly dir: string;
  usedBytes(): number;
  /** Writes a file that takes every free byte, so the next write fails with ENOSPC; `free()` removes it. */
  fill(): void;
  free(): void;
  unmount(): void;
}

export interface FileSizeLimit {
  readonly kind: 'file-size-limit';
  readonly maxFileBytes: number;
  /** The command line prefix that runs the agent under the limit. */
  readonly wrapper: readonly string[];
}

/** Mounts a tmpfs of `bytes` over `dir` (which must exist, empty); undefined when not allowed here. */
export function mountTmpfs(dir: string, bytes: number): TmpfsDisk | undefined {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.error !== undefined || mounted.status !== 0) return undefined;
  return {
    kind: 'tmpfs',
    dir,
    usedBytes: () => {
      const stats = statfsSync(dir);
      return (stats.blocks - stats.bfree) * stats.bsize;
    },
    fill: () => fillUp(path.join(dir, FILLER)),
    free: () => rmSync(path.join(dir, FILLER), { force: true }),
    unmount: () => {
      const result = spawnSync('umount', [dir], { encoding: 'utf8' });
      // Busy (a process still in it): detach now, freed once it lets go.
      if (result.status !== 0) spawnSync('umount', ['-l', dir]);
    },
  };
}

/** The file that takes the room of a filled tmpfs. */
const FILLER = 'filler.bin';

function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const chunkBytes of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(chunkBytes);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A wrapper command that runs the agent with every file it writes limited to `bytes`. */
export function fileSizeLimit(bytes: number): FileSizeLimit {
  const probe = spawnSync('prlimit', ['--version'], { encoding: 'utf8' });
  const wrapper =
    probe.error === undefined && probe.status === 0
      ? ['prlimit', `--fsize=${bytes}`, '--']
      : ['bash', '-c', `ulimit -f ${Math.max(1, Math.floor(bytes / 1024))} && exec "$0" "$@"`];
  return { kind: 'file-size-limit', maxFileBytes: bytes, wrapper };
}

/** A tmpfs of `bytes` over `dir` when possible, else a file-size limit of `bytes`. */
export function smallDisk(dir: string, bytes: number): SmallDisk {
  return mountTmpfs(dir, bytes) ?? fileSizeLimit(bytes);
}
