import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeployError } from '../errors';
import { LocalStore } from './local-store';
import type { ReleaseStore } from './release-store';
import type { S3Options } from './s3-options';
import { parseS3Url } from './s3-url';

/**
 * Opens a store from its URL (DESIGN §1): `s3://BUCKET/PREFIX`, or a local
 * path (`/srv/releases`, `./releases`, `file:///srv/releases`). `s3` is
 * used only by an s3:// store; opening one makes no network call.
 */
export function openStore(rawUrl: string, cwd: string = process.cwd(), s3: S3Options = {}): ReleaseStore {
  const url = rawUrl.trim();
  if (url === '') throw new DeployError('STORE_URL_INVALID', 'the store URL is empty: give s3://BUCKET/PREFIX or a directory');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    const { bucket, prefix } = parseS3Url(url);
    // Loaded only for s3:// stores: the SDK costs start-up time and memory a local store does not need.
    const { S3Store } = require('./s3-store') as typeof import('./s3-store');
    return new S3Store(bucket, prefix, s3, url);
  }
  if (scheme !== undefined && scheme !== 'file') {
    throw new DeployError('STORE_URL_INVALID', `unsupported store URL ${url}: use s3://BUCKET/PREFIX, file:///path or a path`);
  }
  return new LocalStore(scheme === 'file' ? fileUrlToDir(url) : path.resolve(cwd, url), url);
}

function fileUrlToDir(url: string): string {
  try {
    return fileURLToPath(`file://${url.slice('file://'.length)}`);
  } catch (cause) {
    throw new DeployError('STORE_URL_INVALID', `invalid file URL ${url}: use file:///absolute/path (${(cause as Error).message})`, { cause });
  }
}
