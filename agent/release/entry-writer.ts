import { constants } from 'node:fs';
import { chmod, link, mkdir, open, symlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ReadEntry } from 'tar';
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
 * Defense in depth: the absolute path of `segments` inside `root`, refused unless it is strictly
 * below `root` (entries were already checked; this catches a checker bug, not an archive).
 */
export function safeJoin(
  root: string,
  segments: readonly string[],
  entryPath: string,
  code: 'UNPACK_PARENT_PATH' | 'UNPACK_UNSAFE_LINK' = 'UNPACK_PARENT_PATH',
): string {
  const absolute = path.join(root, ...segments);
  if (segments.length === 0 || !absolute.startsWith(root + path.sep)) {
    throw new UnpackError(code, 'an entry or its link target resolves outside the release dir', { entryPath });
  }
  return absolute;
}

/** mkdir exactly one level, never following or reusing anything that already exists. */
export async function makeDir(absolute: string): Promise<void> {
  await mkdir(absolute, { mode: DIR_MODE });
  await chmod(absolute, DIR_MODE);
}

export async function makeSymlink(absolute: string, target: string): Promise<void> {
  await symlink(target, absolute);
}

export async function makeHardlink(absolute: string, existingAbsolute: string): Promise<void> {
  await link(existingAbsolute, absolute);
}

/** O_EXCL + O_NOFOLLOW: a new file or nothing; never through or over a link. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Streams one entry's data into a new file with `mode`, consuming the entry chunk by chunk (one
 * chunk in flight, so memory stays flat). Resolves with the bytes written; rejects when `signal`
 * aborts.
 */
export async function writeEntryFile(absolute: string, entry: ReadEntry, mode: number, signal: AbortSignal): Promise<number> {
  const handle = await open(absolute, CREATE_FLAGS, 0o600);
  try {
    const written = await pump(entry, handle, signal);
    await handle.chmod(mode);
    return written;
  } finally {
    await handle.close();
  }
}

function pump(entry: ReadEntry, handle: FileHandle, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let written = 0;
    let settled = false;
    /** The write in flight; Minipass may emit 'end' right after the last 'data', before it lands. */
    let writing: Promise<void> = Promise.resolve();
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      entry.off('data', onData);
      entry.off('end', onEnd);
      entry.off('error', finish);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(written);
      else reject(error);
    };
    const onAbort = (): void => finish(new Error('unpack aborted'));
    const onEnd = (): void => {
      writing.then(() => finish(), finish);
    };
    const onData = (chunk: Buffer): void => {
      entry.pause();
      writing = writeAll(handle, chunk).then(() => {
        written += chunk.length;
        if (!settled) entry.resume();
      });
      writing.catch(finish);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    entry.on('error', finish);
    entry.on('end', onEnd);
    // Attaching 'data' starts the flow; onData pauses it around each write.
    entry.on('data', onData);
  });
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
