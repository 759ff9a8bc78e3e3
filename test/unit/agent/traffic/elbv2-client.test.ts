import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  createElbv2Client,
  ELBV2_CONNECTION_TIMEOUT_MS,
  ELBV2_MAX_ATTEMPTS,
  ELBV2_REQUEST_TIMEOUT_MS,
  resolveElbv2Region,
} from '../../../../agent/traffic/elbv2-client';
import { freePort } from '../../../support/free-port';
import { withTimeout } from '../../../support/with-timeout';

const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';

describe('the ELBv2 client of the agent', () => {
  // Static credentials, so the SDK's chain stops at the environment and never asks EC2's metadata service.
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  });

  test.each([
    [{ targetGroupArns: [arn], region: 'us-west-2' }, { AWS_REGION: 'ap-south-1' }, 'us-west-2'],
    [{ targetGroupArns: [arn] }, { AWS_REGION: 'ap-south-1' }, 'eu-west-1'],
    [{ targetGroupArns: ['arn:aws:elasticloadbalancing'] }, { AWS_REGION: 'ap-south-1' }, 'ap-south-1'],
    [{ targetGroupArns: ['arn:aws:elasticloadbalancing'] }, { AWS_DEFAULT_REGION: 'sa-east-1' }, 'sa-east-1'],
    [{ targetGroupArns: ['arn:aws:elasticloadbalancing'] }, {}, 'us-east-1'],
  ])('takes the region from %j, then env %j: %s', (options, env, region) => {
    expect(resolveElbv2Region(options, env)).toBe(region);
  });

  it('retries adaptively, up to the attempts chosen, with explicit connection and request timeouts', async () => {
    const port = await freePort();
    const client = createElbv2Client({ targetGroupArns: [arn], endpoint: `http://127.0.0.1:${port}` });
    try {
      expect(await client.config.region()).toBe('eu-west-1');
      expect(await client.config.maxAttempts()).toBe(ELBV2_MAX_ATTEMPTS);
      expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
      // The handler resolves its settings on its first request: one to a closed loopback port (refused at once).
      const sent = client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      await expect(withTimeout(sent, 30_000, 'a request to a closed port')).rejects.toThrow(/ECONNREFUSED/);
      const handler = client.config.requestHandler;
      expect(handler).toBeInstanceOf(NodeHttpHandler);
      expect((handler as NodeHttpHandler).httpHandlerConfigs()).toMatchObject({
        connectionTimeout: ELBV2_CONNECTION_TIMEOUT_MS,
        requestTimeout: ELBV2_REQUEST_TIMEOUT_MS,
      });
    } finally {
      client.destroy();
    }
  });
});
