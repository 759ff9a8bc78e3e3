import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, tempPathBeside, writeFileAtomic } from '../fs/atomic-write';
import { DeployError } from '../errors';
import type { ConditionalDoc, ConditionalDocs } from './conditional-docs';

/** A claim older than this belongs to a writer that died inside the few file operations it guards. */
export const DOC_CLAIM_STALE_MS = 60_000;

/** A local document's tag: a hash of its bytes (the same tag LocalStore gives desired.json). */
export function localTagOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Conditional documents in a local (or shared NFS/EFS) store directory
 * (conditional-docs.ts). Create is an exclusive link(2); replace and remove
 * are compare-and-swaps under an exclusive claim file
 * `.<name>.<tag>.claim` beside the document, broken after
 * {@link DOC_CLAIM_STALE_MS} when its writer died.
 */
export class LocalConditionalDocs implements ConditionalDocs {
  constructor(
    private readonly root: string,
    private readonly url: string,
    private readonly now: () => number = Date.now,
  ) {}

  async read(key: string): Promise<ConditionalDoc | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(key), 'utf8');
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw this.unavailable('read', key, error);
    }
    return { etag: localTagOf(text), text };
  }

  async create(key: string, text: string): Promise<string | undefined> {
    const target = this.file(key);
    const temp = tempPathBeside(target);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(temp, target);
    } catch (error) {
      if (code(error) === 'EEXIST') return undefined;
      throw this.unavailable('write', key, error);
    } finally {
      await rm(temp, { force: true });
    }
    await fsyncDir(path.dirname(target));
    return localTagOf(text);
  }

  async replace(key: string, etag: string, text: string): Promise<string | undefined> {
    return (await this.swapIf(key, etag, text)) ? localTagOf(text) : undefined;
  }

  async remove(key: string, etag: string): Promise<boolean> {
    return this.swapIf(key, etag, undefined);
  }

  async list(folder: string): Promise<string[]> {
    try {
      const names = await readdir(this.file(folder));
      return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch (error) {
      if (code(error) === 'ENOENT') return [];
      throw this.unavailable('read', folder, error);
    }
  }

  private async swapIf(key: string, expected: string, text: string | undefined): Promise<boolean> {
    const claim = await this.claim(key, expected);
    if (claim === undefined) return false;
    try {
      const current = await this.read(key);
      if (current?.etag !== expected) return false;
      if (text === undefined) {
        await rm(this.file(key), { force: true });
        await fsyncDir(path.dirname(this.file(key)));
      } else {
        await writeFileAtomic(this.file(key), text);
      }
      return true;
    } catch (error) {
      throw this.unavailable('write', key, error);
    } finally {
      await rm(claim, { force: true });
    }
  }

  private async claim(key: string, tag: string): Promise<string | undefined> {
    const target = this.file(key);
    const claimPath = path.join(path.dirname(target), `.${path.basename(target)}.${tag}.claim`);
    for (let round = 0; round < 2; round++) {
      try {
        const handle = await open(claimPath, 'wx', 0o644);
        await handle.close();
        return claimPath;
      } catch (error) {
        if (code(error) === 'ENOENT') return undefined; // the folder is gone: so is the document
        if (code(error) !== 'EEXIST') throw this.unavailable('write', key, error);
      }
      if (!(await this.breakStaleClaim(claimPath))) return undefined;
    }
    return undefined;
  }

  /** Removes a claim whose writer died; true when it is gone. Keeps a live claim made meanwhile (inode check). */
  private async breakStaleClaim(claimPath: string): Promise<boolean> {
    const seen = await stat(claimPath).catch(() => undefined);
    if (seen === undefined) return true;
    if (this.now() - seen.mtimeMs < DOC_CLAIM_STALE_MS) return false;
    const moved = `${claimPath}.${randomBytes(6).toString('hex')}.broken`;
    try {
      await rename(claimPath, moved);
    } catch (error) {
      if (code(error) === 'ENOENT') return true;
      throw error;
    }
    const taken = await stat(moved);
    if (taken.ino !== seen.ino || taken.dev !== seen.dev) {
      await link(moved, claimPath).catch(() => undefined);
      await rm(moved, { force: true });
      return false;
    }
    await rm(moved, { force: true });
    return true;
  }

  private file(key: string): string {
    return path.join(this.root, ...key.split('/').filter((part) => part !== ''));
  }

  private unavailable(op: 'read' | 'write', key: string, cause: unknown): DeployError {
    if (cause instanceof DeployError) return cause;
    return new DeployError('STORE_UNAVAILABLE', `cannot ${op} ${key} in ${this.url}: ${(cause as Error).message}`, { cause });
  }
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}
