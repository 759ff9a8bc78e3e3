import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Options } from './s3-options';

/**
 * How many times one S3 call is tried in all (the first try and 3 retries).
 * The SDK's `standard` retry strategy retries 5xx answers, throttling
 * (SlowDown, 429) and connection resets/refusals/timeouts, with exponential
 * backoff and jitter, and stops early when its retry quota is spent. An agent
 * polls again anyway, so a call gives up after a few seconds rather than
 * hang a deploy.
 */
export const S3_MAX_ATTEMPTS = 4;

/** Milliseconds to wait for the TCP (and TLS) connection to S3 before that try fails (and is retried). */
export const S3_CONNECTION_TIMEOUT_MS = 3_000;

/**
 * Milliseconds a socket may stay idle (no byte sent or received) during one
 * request before that try fails (and is retried). It is not a cap on the
 * whole transfer: a large artifact that keeps flowing is never cut off.
 */
export const S3_REQUEST_TIMEOUT_MS = 30_000;

/** The region used when neither the options nor AWS_REGION / AWS_DEFAULT_REGION give one. */
export const S3_DEFAULT_REGION = 'us-east-1';

/** The region of an S3 store: the options, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
export function resolveS3Region(options: S3Options, env: NodeJS.ProcessEnv = process.env): string {
  return options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || S3_DEFAULT_REGION;
}

/**
 * The S3 client of an s3:// store. Credentials come from the SDK's standard
 * chain (environment, shared config/SSO, web identity, ECS/EC2 instance
 * roles). Retries and timeouts are chosen here on purpose, not left to
 * the SDK's defaults (which have no connection timeout at all):
 * {@link S3_MAX_ATTEMPTS} attempts with the `standard` retry strategy,
 * {@link S3_CONNECTION_TIMEOUT_MS} to connect, {@link S3_REQUEST_TIMEOUT_MS}
 * of socket idleness per request.
 */
export function createS3Client(options: S3Options, env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    region: resolveS3Region(options, env),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: S3_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: S3_CONNECTION_TIMEOUT_MS,
      requestTimeout: S3_REQUEST_TIMEOUT_MS,
    }),
  });
}
