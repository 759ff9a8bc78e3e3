import { spawn } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { UnpackError } from './unpack-error';

/** A finished release as found on disk. */
export interface ReleaseOnDisk {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

/** Prefix of temp dirs inside releasesDir; never a valid version (those start alphanumeric). */
export const TEMP_PREFIX = '.unpack-';

/** How many fsyncs run at once: the filesystem batches them into few journal commits. */
const SYNC_CONCURRENCY = 16;

export async function ensureReleasesDir(releasesDir: string): Promise<void> {
  await io(`create the releases dir ${releasesDir}`, () => mkdir(releasesDir, { recursive: true, mode: 0o755 }));
}

/** `.unpack-<version>-<random>` inside releasesDir, mode 0o700 until published. */
export function makeTempDir(releasesDir: string, version: string): Promise<string> {
  return io('create a temp dir in the releases dir', () => mkdtemp(path.join(releasesDir, `${TEMP_PREFIX}${version}-`)));
}

/**
 * The release at `dir` when it already exists. It only ever appears there by rename, so it is
 * complete; anything there that is not a real directory is refused rather than trusted.
 */
export async function existingRelease(dir: string): Promise<ReleaseOnDisk | undefined> {
  let stats: Stats;
  try {
    stats = await lstat(dir);
  } catch (error: unknown) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw ioError(`inspect ${dir}`, error);
  }
  if (!stats.isDirectory()) {
    throw new UnpackError('UNPACK_IO_FAILED', `${dir} exists but is not a directory (remove it by hand)`);
  }
  return { dir, ...(await measureTree(dir)) };
}

/** Counts entries and regular-file bytes (each inode once) under `dir`, without following links. */
async function measureTree(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const seen = new Set<string>();
  const pending = [dir];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    const names = await io(`read ${current}`, () => readdir(current));
    for (const name of names) {
      const child = path.join(current, name);
      const stats = await io(`inspect ${child}`, () => lstat(child));
      files += 1;
      if (stats.isDirectory()) pending.push(child);
      else if (stats.isFile() && !seen.has(`${stats.dev}:${stats.ino}`)) {
        seen.add(`${stats.dev}:${stats.ino}`);
        bytes += stats.size;
      }
    }
  }
  return { files, bytes };
}

/**
 * Puts everything written under `root` (file data, directories, modes) on disk, so that the
 * rename that follows publishes data that is on disk.
 *
 * On Linux this is one syncfs(2) of root's file system (`sync -f root`, coreutils >= 8.24 or
 * busybox) instead of an fsync per file and per directory: a release of 20,000 files cost
 * 24,000 fsyncs (a journal commit and a disk cache flush each, four at a time in libuv's
 * thread pool), 1-3 s or a fifth to a third of the whole unpack in `npm run bench:artifact`;
 * one syncfs writes the same dirty pages back and commits the journal once (20-150 ms there). It is as durable for what matters here: the release dir only
 * becomes visible by the rename in `publish`, which runs after this flush returns (and fsyncs
 * the parent after the rename), so a crash before then leaves a `.unpack-*` temp dir, never a
 * half-written release under its version's name. Since Linux 5.8 syncfs reports writeback
 * errors of the file system; a failure of any kind (no `sync -f`, an old kernel or tool, an I/O
 * error) falls back to the per-file fsyncs, which report an I/O error of a file themselves
 * (an error not yet reported to anyone is reported to the next fsync of that file). The cost:
 * syncfs also flushes whatever else is dirty on that file system at the time.
 *
 * Elsewhere (macOS dev machines) and on that fallback: fsyncs every file, then every directory
 * (deepest first), then the root itself.
 *
 * `early`, when given, has been writing back in the background during the unpack: this waits
 * for it, and falls back to the per-file fsyncs if one of those syncfs calls failed.
 */
export async function syncTree(
  root: string,
  created: () => { files: readonly string[]; dirs: readonly string[] },
  early?: EarlyWriteback,
): Promise<void> {
  await early?.settled();
  if (early?.failed !== true && (await syncFileSystem(root))) return;
  const { files, dirs } = created();
  const deepestFirst = [...dirs].sort((a, b) => b.length - a.length);
  await inBatches([...files, ...deepestFirst, root], syncPath);
}

/**
 * Starts writing back, while the unpack still runs, what it wrote so far: `sync -f root` in the
 * background, one at a time, so that the syncfs of `syncTree` at the end has less left to write.
 * Durability does not depend on these: `syncTree` still runs after the last write and before
 * the rename; and one that fails (a writeback error it reports, which a later syncfs would no
 * longer report) makes `syncTree` fsync every file instead (`failed`).
 */
export class EarlyWriteback {
  readonly #root: string;
  #running: Promise<void> | undefined;
  #failed = false;

  constructor(root: string) {
    this.#root = root;
  }

  /** A writeback reported an error: the final flush must not rely on syncfs. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Starts a writeback unless one is running (or this is not Linux). */
  start(): void {
    if (this.#running !== undefined || process.platform !== 'linux') return;
    this.#running = syncFileSystem(this.#root).then((ok) => {
      if (!ok) this.#failed = true;
      this.#running = undefined;
    });
  }

  /** Resolves once no writeback is running. */
  async settled(): Promise<void> {
    await this.#running;
  }
}

/**
 * syncfs(2) of the file system holding `dir`, via `sync -f`; false when that is not possible or
 * failed. Without pipes (stdio ignored; its exit code says it all): an unpack runs up to five,
 * and execFile's three pipes and streams cost the main thread about twice the CPU per run.
 */
function syncFileSystem(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const child = spawn('sync', ['-f', dir], { stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('exit', (code) => resolve(code === 0));
    } catch {
      // spawn throws for some failures (ENOMEM, say) instead of emitting 'error'.
      resolve(false);
    }
  });
}

/** rename(temp, final). false when another unpack published the same version first. */
export async function publish(tempDir: string, finalDir: string): Promise<boolean> {
  try {
    await rename(tempDir, finalDir);
  } catch (error: unknown) {
    const code = errnoOf(error);
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw ioError(`rename ${tempDir} to ${finalDir}`, error);
  }
  // Best effort: the release is complete and in place; failing now would leave it there anyway.
  await syncPath(path.dirname(finalDir)).catch(() => undefined);
  return true;
}

/** Removes a temp dir and everything in it; never follows symlinks. */
export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

async function syncPath(target: string): Promise<void> {
  const handle = await io(`open ${target} to fsync it`, () => open(target, 'r'));
  try {
    await io(`fsync ${target}`, () => handle.sync());
  } finally {
    await handle.close();
  }
}

async function inBatches(items: readonly string[], work: (item: string) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      await work(items[index] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, items.length) }, worker));
}

/** Runs a filesystem step, turning its failure into UNPACK_IO_FAILED. */
export async function io<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error: unknown) {
    throw ioError(what, error);
  }
}

export function ioError(what: string, error: unknown): UnpackError {
  if (error instanceof UnpackError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new UnpackError('UNPACK_IO_FAILED', `could not ${what}: ${reason}`, { cause: error });
}

export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}
