import os from 'node:os';
import { DeployError } from '../errors';
import { fetchInstanceId, type ImdsOptions } from '../traffic/imds';

/**
 * This instance's id, the one name it has in status reports
 * (instances/<id>.json), slot leases and target groups:
 *
 * 1. `instanceId` from the config (off EC2, tests);
 * 2. else, when a load balancer is configured, the EC2 instance id from IMDSv2:
 *    the ALB knows instance targets only by that id, so it is required then;
 * 3. else the host name made safe for a key (see hostInstanceId).
 *
 * The IMDS endpoint can be moved with AWS_EC2_METADATA_SERVICE_ENDPOINT, the
 * variable the AWS SDKs read (tests point it at a local fake).
 */
export async function resolveInstanceId(
  config: { readonly instanceId: string | undefined; readonly loadBalancer: unknown },
  imds: ImdsOptions = imdsFromEnv(process.env),
): Promise<string> {
  if (config.instanceId !== undefined) return config.instanceId;
  if (config.loadBalancer === undefined) return hostInstanceId();
  try {
    return await fetchInstanceId(imds);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DeployError(
      cause instanceof DeployError ? cause.code : 'IMDS_UNAVAILABLE',
      `a loadBalancer is configured, so the agent needs this instance's EC2 id to register it: ${why}`,
      { cause },
    );
  }
}

/** The host name made safe for a key (letters, digits, `.`, `_`, `-`; at most 128 characters). */
export function hostInstanceId(hostname: string = os.hostname()): string {
  const safe = hostname.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return safe === '' ? 'unknown-host' : safe;
}

function imdsFromEnv(env: NodeJS.ProcessEnv): ImdsOptions {
  const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  return endpoint ? { endpoint } : {};
}
