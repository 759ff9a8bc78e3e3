import { DeployError } from '../errors';

/**
 * What the S3 SDK throws, narrowed from `unknown`: service errors carry the
 * S3 error code as `name` and the HTTP status in `$metadata`; network errors
 * (ECONNREFUSED, timeouts) carry a Node `code` instead.
 */
interface SdkErrorFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function fields(error: unknown): SdkErrorFields {
  return typeof error === 'object' && error !== null ? (error as SdkErrorFields) : {};
}

/** The HTTP status S3 answered with, if it answered at all. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = fields(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: unknown): string | undefined {
  const name = fields(error).name;
  return typeof name === 'string' ? name : undefined;
}

/** A conditional GET whose `If-None-Match` matched: the cached copy is current (not a failure). */
export function isNotModified(error: unknown): boolean {
  return httpStatusOf(error) === 304 || nameOf(error) === 'NotModified';
}

/**
 * The key does not exist. GetObject says `NoSuchKey`; HeadObject has no body,
 * so the SDK names it `NotFound`. A missing bucket (`NoSuchBucket`) is not
 * this: it is a misconfigured store, not an empty one.
 */
export function isMissingKey(error: unknown): boolean {
  const name = nameOf(error);
  return name === 'NoSuchKey' || (name === 'NotFound' && httpStatusOf(error) === 404);
}

/** `If-Match` / `If-None-Match` did not hold (HTTP 412). */
export function isPreconditionFailed(error: unknown): boolean {
  return httpStatusOf(error) === 412 || nameOf(error) === 'PreconditionFailed';
}

/**
 * S3 answers 409 ConditionalRequestConflict when another conditional write to
 * the same key is in flight: the other writer is winning.
 */
export function isConditionalConflict(error: unknown): boolean {
  return nameOf(error) === 'ConditionalRequestConflict';
}

/** One line about an SDK failure: its message, else its name, with the HTTP status when there was one. */
export function describeSdkError(error: unknown): string {
  const { message, code } = fields(error);
  const name = nameOf(error);
  const text = typeof message === 'string' && message !== '' && message !== 'UnknownError' ? message : name ?? String(error);
  const status = httpStatusOf(error);
  const detail = [typeof code === 'string' && !text.includes(code) ? code : undefined, status !== undefined ? `HTTP ${status}` : undefined]
    .filter((part): part is string => part !== undefined)
    .join(', ');
  return detail === '' ? text : `${text} (${detail})`;
}

/** Where a failed call went, for the message of STORE_UNAVAILABLE. */
export interface S3Target {
  readonly url: string;
  readonly bucket: string;
  readonly key: string;
}

/** Any S3 failure that has no meaning of its own for the store: the store is unreachable or refusing. */
export function storeUnavailable(op: 'read' | 'write' | 'list' | 'delete', target: S3Target, cause: unknown): DeployError {
  return new DeployError(
    'STORE_UNAVAILABLE',
    `cannot ${op} ${target.key} in bucket ${target.bucket} (${target.url}): ${describeSdkError(cause)}`,
    { cause },
  );
}
