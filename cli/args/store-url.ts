import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DeployError, describeError } from '../../agent/errors';
import { openStore } from '../../agent/store/open-store';
import type { ReleaseStore } from '../../agent/store/release-store';
import type { S3Options } from '../../agent/store/s3-options';
import type { CliIo } from '../run/cli-io';

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
      throw new DeployError('STORE_URL_MISSING', `no store: pass --store, set DEPLOYCTL_STORE or write ${PROJECT_FILE}`);
    }
    throw new DeployError('STORE_URL_MISSING', `cannot read ${file}: ${describeError(error)}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeployError('STORE_URL_INVALID', `${file} is not valid JSON: ${describeError(error)}`, { cause: error });
  }
  const parsed = projectFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeployError('STORE_URL_INVALID', `${file} must be an object with "store": "s3://BUCKET/PREFIX" or a path`, {
      cause: parsed.error,
    });
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

/** Resolves the store URL as above and opens it. */
export async function openCliStore(flag: string | undefined, io: Pick<CliIo, 'env' | 'cwd'>): Promise<ReleaseStore> {
  const { url } = await resolveStoreUrl(flag, io);
  return openStore(url, io.cwd, s3OptionsFromEnv(io.env));
}
