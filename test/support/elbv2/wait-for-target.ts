import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { waitUntil } from '../with-timeout';

/** What DescribeTargetHealth says about one target (undefined once it is gone). */
export async function describeTarget(
  client: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  id: string,
): Promise<TargetHealthDescription | undefined> {
  const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return out.TargetHealthDescriptions?.find((d) => d.Target?.Id === id);
}

/**
 * Polls DescribeTargetHealth (through the SDK) until target `id` is in `state` ('gone' = no longer
 * listed); rejects naming the target and state after `timeoutMs`.
 */
export async function waitForTargetState(
  client: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  id: string,
  state: string,
  timeoutMs: number,
): Promise<void> {
  await waitUntil(
    async () => {
      const description = await describeTarget(client, targetGroupArn, id);
      return state === 'gone' ? description === undefined : description?.TargetHealth?.State === state;
    },
    timeoutMs,
    `target ${id} to be ${state}`,
    50,
  );
}
