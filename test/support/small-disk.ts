import { spawnSync } from 'node:child_process';
import { statfsSync } from 'node:fs';

/**
 * A releases dir that runs out of room, for disk-full faults: a tmpfs of a
 * given size mounted over a directory when this process may mount (root with
 * CAP_SYS_ADMIN: a fresh CI machine), else a limit on the size of any file
 * the agent writes (RLIMIT_FSIZE, via `prlimit`, or bash's `ulimit -f`),
 * which fails the write the same way (EFBIG instead of ENOSPC; node ignores
 * SIGXFSZ, so the write fails instead of the process dying).
 */
export type SmallDisk =
  | { readonly kind: 'tmpfs'; readonly dir: string; usedBytes(): number; unmount(): void }
  | { readonly kind: 'file-size-limit'; readonly maxFileBytes: number; readonly wrapper: readonly string[] };

/** Mounts a tmpfs of `bytes` over `dir` (which must exist, empty); undefined when not allowed here. */
export function mountTmpfs(dir: string, bytes: number): SmallDisk | undefined {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.error !== undefined || mounted.status !== 0) return undefined;
  return {
    kind: 'tmpfs',
    dir,
    usedBytes: () => {
      const stats = statfsSync(dir);
      return (stats.blocks - stats.bfree) * stats.bsize;
    },
    unmount: () => {
      const result = spawnSync('umount', [dir], { encoding: 'utf8' });
      // Busy (a process still in it): detach now, freed once it lets go.
      if (result.status !== 0) spawnSync('umount', ['-l', dir]);
    },
  };
}

/** A wrapper command that runs the agent with every file it writes limited to `bytes`. */
export function fileSizeLimit(bytes: number): SmallDisk {
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
