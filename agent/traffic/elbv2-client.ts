import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * How many times one ELBv2 call is tried in all (the first try and 5
 * retries). ELBv2's API limits are per account and region, and a whole fleet
 * polls DescribeTargetHealth during a rollout, so throttling is expected, not
 * exceptional: a call must outlast a burst of it, because a failed
 * RegisterTargets leaves the instance out of service until the rollback tries
 * again. The SDK backs off exponentially with jitter between tries.
 */
export const ELBV2_MAX_ATTEMPTS = 6;

/**
 * `adaptive`: the `standard` retries (5xx, throttling, connection errors,
 * with a retry quota) plus a client-side rate limiter that slows this
 * client's calls down after a throttling answer, so one agent's polling does
 * not keep the account's token bucket empty for the rest of the fleet.
 */
export const ELBV2_RETRY_MODE = 'adaptive';

/** Milliseconds to wait for the TCP (and TLS) connection to the ELBv2 endpoint; the SDK default waits forever. */
export const ELBV2_CONNECTION_TIMEOUT_MS = 3_000;

/**
 * Milliseconds a socket may stay idle during one call before that try fails
 * and is retried. The answers are a few kB: a call that hangs for this long
 * is lost, and the deploy holds a fleet-wide slot while it waits.
 */
export const ELBV2_REQUEST_TIMEOUT_MS = 10_000;

/** The region used when neither the config, the ARNs nor the environment give one. */
export const ELBV2_DEFAULT_REGION = 'us-east-1';

export interface Elbv2ClientOptions {
  readonly targetGroupArns: readonly string[];
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

/** The region of the target groups: the config, else the first ARN's, else AWS_REGION / AWS_DEFAULT_REGION. */
export function resolveElbv2Region(options: Elbv2ClientOptions, env: NodeJS.ProcessEnv = process.env): string {
  const fromArn = options.targetGroupArns.map((arn) => arn.split(':')[3]).find((region) => region !== undefined && region !== '');
  return options.region || fromArn || env.AWS_REGION || env.AWS_DEFAULT_REGION || ELBV2_DEFAULT_REGION;
}

/**
 * The ELBv2 client of the agent (config `loadBalancer`). Credentials come
 * from the SDK's standard chain (on EC2: the instance role). Retries and
 * timeouts are set here on purpose; see the constants above.
 */
export function createElbv2Client(options: Elbv2ClientOptions, env: NodeJS.ProcessEnv = process.env): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    region: resolveElbv2Region(options, env),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    maxAttempts: ELBV2_MAX_ATTEMPTS,
    retryMode: ELBV2_RETRY_MODE,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: ELBV2_CONNECTION_TIMEOUT_MS,
      requestTimeout: ELBV2_REQUEST_TIMEOUT_MS,
    }),
  });
}
