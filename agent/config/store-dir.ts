import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DeployError, describeError } from '../errors';
import { parseS3Url } from '../store/s3-url';
import type { RuntimeConfig } from './runtime-config';

/**
 * The store of the config must be a store: `s3://BUCKET/PREFIX` (well-formed),
 * `file:///path` or a path; else STORE_URL_INVALID (the agent exits 2, as for
 * any config error). And a directory store must exist when the agent starts: a typo in `store` would
 * otherwise look like a new, empty store that the agent waits on forever.
 * `deployctl push` creates a new store; the agent does not. Throws
 * STORE_DIR_MISSING, unless the instance has a release on disk to serve
 * (`hasRelease`: the store may be a share that is not mounted yet): then the
 * problem is returned, for the log. An s3:// store is not checked here.
 */
export async function checkStoreDirectory(config: Pick<RuntimeConfig, 'store' | 'configPath'>, hasRelease = false): Promise<DeployError | undefined> {
  try {
    await assertStoreDirectory(config);
    return undefined;
  } catch (error) {
    if (hasRelease && error instanceof DeployError && error.code === 'STORE_DIR_MISSING') return error;
    throw error;
  }
}

async function assertStoreDirectory(config: Pick<RuntimeConfig, 'store' | 'configPath'>): Promise<void> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(config.store)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    parseS3Url(config.store);
    return;
  }
  if (scheme !== undefined && scheme !== 'file') {
    // The schema refuses these already; a RuntimeConfig built another way must not pass either.
    throw new DeployError('STORE_URL_INVALID', `store: unsupported store URL ${config.store} in ${config.configPath}: use s3://BUCKET/PREFIX, file:///path or a directory`);
  }
  const dir = /^file:\/\//i.test(config.store) ? fileURLToPath(config.store) : config.store;
  const hint = `(store in ${config.configPath}; a relative path is resolved against the config file's directory)`;
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${describeError(error)}`;
    throw new DeployError(
      'STORE_DIR_MISSING',
      `the store directory ${dir} ${reason} ${hint}: fix the path, or create the store with 'deployctl push <version> --dir PATH --store ${dir}'`,
      { cause: error },
    );
  }
  if (!isDirectory) throw new DeployError('STORE_DIR_MISSING', `the store ${dir} is not a directory ${hint}: give a directory or s3://BUCKET/PREFIX`);
}
