import { DeployError } from '../errors';

/** Where an `s3://BUCKET/PREFIX` store lives. */
export interface S3Location {
  readonly bucket: string;
  /** Keys of the store start with `<prefix>/`; '' for the bucket's root. No leading or trailing '/'. */
  readonly prefix: string;
}

/**
 * S3's rules for bucket names (general purpose buckets): 3-63 characters,
 * lowercase letters, digits, dots and hyphens, starting and ending with a
 * letter or digit.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_PATTERN = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Parses `s3://BUCKET/PREFIX` (the scheme in any case). The prefix is
 * normalised: leading, trailing and repeated slashes go, so `s3://b/a//c/`
 * and `s3://b/a/c` are the same store. Anything else is a STORE_URL_INVALID
 * error that names the URL and what is wrong.
 */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(url);
  if (!match) throw invalid(url, 'expected s3://BUCKET/PREFIX');
  const bucket = match[1] ?? '';
  const rawPrefix = match[2] ?? '';
  checkBucket(url, bucket);
  return { bucket, prefix: normalisePrefix(url, rawPrefix) };
}

function checkBucket(url: string, bucket: string): void {
  if (bucket === '') throw invalid(url, 'the bucket name is missing');
  if (bucket.length < 3 || bucket.length > 63) {
    throw invalid(url, `the bucket name ${JSON.stringify(bucket)} must be 3-63 characters long`);
  }
  if (/[A-Z]/.test(bucket)) {
    throw invalid(url, `the bucket name ${JSON.stringify(bucket)} has uppercase letters; S3 bucket names are lowercase`);
  }
  if (!BUCKET_PATTERN.test(bucket)) {
    throw invalid(
      url,
      `the bucket name ${JSON.stringify(bucket)} may only have lowercase letters, digits, '.' and '-', and must start and end with a letter or digit`,
    );
  }
  if (bucket.includes('..')) throw invalid(url, `the bucket name ${JSON.stringify(bucket)} has two dots in a row`);
  if (IPV4_PATTERN.test(bucket)) throw invalid(url, `the bucket name ${JSON.stringify(bucket)} looks like an IP address`);
}

function normalisePrefix(url: string, rawPrefix: string): string {
  if (/[?#]/.test(rawPrefix)) throw invalid(url, 'an S3 store URL takes no query string or fragment (? or #)');
  if (/[\u0000-\u001f\u007f]/.test(rawPrefix)) throw invalid(url, 'the prefix has control characters');
  const segments = rawPrefix.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw invalid(url, "the prefix may not have '.' or '..' segments");
  }
  const prefix = segments.join('/');
  if (Buffer.byteLength(prefix) > 512) throw invalid(url, 'the prefix is longer than 512 bytes');
  return prefix;
}

function invalid(url: string, why: string): DeployError {
  return new DeployError('STORE_URL_INVALID', `invalid S3 store URL ${url}: ${why}`);
}
