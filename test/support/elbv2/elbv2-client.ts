import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

/**
 * An unmodified SDK client aimed at an emulator's `endpoint`, with static test credentials (so
 * the SDK's chain never asks EC2's metadata service). Also silences the SDK's once-per-process
 * notice that its 2027 releases will need Node 22, in this (jest worker's) process.env.
 */
export function elbv2Client(endpoint: string, maxAttempts = 3): ElasticLoadBalancingV2Client {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return new ElasticLoadBalancingV2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  });
}
