import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Tries of one GetParameters call in all (the first and 3 retries: throttling, 5xx, resets), `standard` backoff with jitter. */
export const SSM_MAX_ATTEMPTS = 4;
/** Milliseconds to connect to SSM before that try fails (and is retried); the SDK has no connection timeout of its own. */
export const SSM_CONNECTION_TIMEOUT_MS = 3_000;
/** Milliseconds a GetParameters answer (a few KB) may take before that try fails. */
export const SSM_REQUEST_TIMEOUT_MS = 10_000;

export interface SsmOptions {
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
}

/**
 * The SSM client of the agent: the standard credential chain (the instance
 * role), retries and timeouts set here on purpose: a deploy waits for its
 * secrets a bounded time (4 tries × ≤ 13 s), then fails and is tried again
 * after a backoff (SECRETS_UNAVAILABLE is transient, retry-backoff.ts).
 */
export function createSsmClient(options: SsmOptions, env: NodeJS.ProcessEnv = process.env): SSMClient {
  return new SSMClient({
    region: options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    maxAttempts: SSM_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({ connectionTimeout: SSM_CONNECTION_TIMEOUT_MS, requestTimeout: SSM_REQUEST_TIMEOUT_MS }),
  });
}
