import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DeployError, describeError } from '../../agent/errors';
import { LocalStore } from '../../agent/store/local-store';
import { openStore } from '../../agent/store/open-store';
import type { ReleaseStore } from '../../agent/store/release-store';
import type { S3Options } from '../../agent/store/s3-options';
import type { CliIo } from '../run/cli-io';
import { UsageError } from './usage-error';

export const PROJECT_FILE = 'deployctl.json';

const projectFileSchema = z.object({ store: z.string().min(1) });

export interface ResolvedStoreUrl {
  readonly url: string;
  /** Where it came from, for messages: `--store`, `DEPLOYCTL_STORE` or the project file's path. */
  readonly source: string;
}

/**
 * DESIGN §3: the store is `--store`, else `DEPLOYCTL_STORE`, else the `store`
 * of `deployctl.json` in the working directory. A relative local path resolves
 * against the working directory (which is also where deployctl.json lives).
 */
export async function resolveStoreUrl(flag: string | undefined, io: Pick<CliIo, 'env' | 'cwd'>): Promise<ResolvedStoreUrl> {
  if (flag !== undefined) return { url: flag, source: '--store' };
  const fromEnv = io.env['DEPLOYCTL_STORE'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { url: fromEnv, source: 'DEPLOYCTL_STORE' };

  const file = path.join(io.cwd, PROJECT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`no store: pass --store, set DEPLOYCTL_STORE or write ${PROJECT_FILE}`, { code: 'STORE_URL_MISSING' });
    }
    throw new UsageError(`cannot read ${file}: ${describeError(error)}`, { code: 'STORE_URL_MISSING', cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${describeError(error)}`, { code: 'STORE_URL_INVALID', cause: error });
  }
  const parsed = projectFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`${file} must be an object with "store": "s3://BUCKET/PREFIX" or a path`, { code: 'STORE_URL_INVALID', cause: parsed.error });
  }
  return { url: parsed.data.store, source: file };
}

/**
 * S3 client settings from the environment: the region from AWS_REGION (the
 * SDK's own chain), an S3-compatible endpoint from DEPLOYCTL_S3_ENDPOINT, and
 * path-style addressing from DEPLOYCTL_S3_FORCE_PATH_STYLE=1.
 */
export function s3OptionsFromEnv(env: CliIo['env']): S3Options {
  const endpoint = env['DEPLOYCTL_S3_ENDPOINT']?.trim();
  const pathStyle = env['DEPLOYCTL_S3_FORCE_PATH_STYLE']?.trim().toLowerCase();
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(pathStyle === '1' || pathStyle === 'true' ? { forcePathStyle: true } : {}),
  };
}

export interface OpenCliStoreOptions {
  /**
   * A local store directory that does not exist: `refuse` (STORE_DIR_MISSING,
   * a typo must not look like an empty store) or `create` (push: a new store,
   * created by its first write). @default 'refuse'
   */
  readonly missingDir?: 'refuse' | 'create';
  /** With `missingDir: 'create'`: called with the directory when the store is new (the command says so once it succeeded). */
  readonly onNewStore?: (dir: string) => void;
}

/**
 * Resolves the store URL as above and opens it. A URL that cannot be a store
 * is a bad argument (exit 2); a local directory must exist unless the command
 * may create it.
 */
export async function openCliStore(
  flag: string | undefined,
  io: Pick<CliIo, 'env' | 'cwd'>,
  options: OpenCliStoreOptions = {},
): Promise<ReleaseStore> {
  const { url, source } = await resolveStoreUrl(flag, io);
  let store: ReleaseStore;
  try {
    store = openStore(url, io.cwd, s3OptionsFromEnv(io.env));
  } catch (error) {
    if (error instanceof DeployError && error.code === 'STORE_URL_INVALID') {
      throw new UsageError(`${error.message} (from ${source})`, { code: error.code, cause: error });
    }
    throw error;
  }
  if (store instanceof LocalStore) await checkStoreDir(store.root, url, source, options);
  return store;
}

async function checkStoreDir(dir: string, url: string, source: string, options: OpenCliStoreOptions): Promise<void> {
  const where = url === dir ? `from ${source}` : `${url} from ${source}`;
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new DeployError('STORE_UNAVAILABLE', `cannot read the store directory ${dir}: ${describeError(error)}`, { cause: error });
    if (options.missingDir === 'create') {
      // The store's first write creates it: a push refused before that leaves nothing behind.
      options.onNewStore?.(dir);
      return;
    }
    throw new DeployError(
      'STORE_DIR_MISSING',
      `the store directory ${dir} does not exist (${where}): check the path; 'deployctl push' creates a new store`,
      { cause: error },
    );
  }
  if (!isDirectory) throw new DeployError('STORE_DIR_MISSING', `the store ${dir} is not a directory (${where}): give a directory or s3://BUCKET/PREFIX`);
}
