import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createS3Client, resolveS3Region, S3_MAX_ATTEMPTS } from '../../../../agent/store/s3-client';
import { freePort } from '../../../support/free-port';
import { withTimeout } from '../../../support/with-timeout';

describe('the S3 client of an s3:// store', () => {
  // Static credentials, so the SDK's chain stops at the environment and never asks EC2's metadata service.
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  });

  test.each([
    [{ region: 'eu-west-1' }, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' }, 'eu-west-1'],
    [{}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' }, 'us-west-2'],
    [{}, { AWS_DEFAULT_REGION: 'ap-south-1' }, 'ap-south-1'],
    [{}, {}, 'us-east-1'],
    [{ region: '' }, { AWS_REGION: '' }, 'us-east-1'],
  ])('takes the region from %j, then env %j: %s', (options, env, region) => {
    expect(resolveS3Region(options, env)).toBe(region);
  });

  it('is built with the region, endpoint, path style and 4 attempts of the standard retry strategy', async () => {
    const client = createS3Client({ endpoint: 'http://127.0.0.1:9', forcePathStyle: true }, { AWS_REGION: 'eu-central-1' });
    try {
      expect(await client.config.region()).toBe('eu-central-1');
      expect(client.config.forcePathStyle).toBe(true);
      expect(await client.config.maxAttempts()).toBe(S3_MAX_ATTEMPTS);
      expect(await client.config.retryStrategy()).toMatchObject({ mode: 'standard' });
      expect(await client.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 9 });
    } finally {
      client.destroy();
    }
  });

  it('sends through a Node handler with a 3 s connection timeout and a 30 s request timeout', async () => {
    // The handler resolves its settings on its first request: one to a closed loopback port (refused at once).
    const port = await freePort();
    const client = createS3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
    try {
      const sent = client.send(new HeadBucketCommand({ Bucket: 'nobody-listens' }));
      await expect(withTimeout(sent, 10_000, 'a request to a closed port')).rejects.toThrow(/ECONNREFUSED/);
      const handler = client.config.requestHandler;
      expect(handler).toBeInstanceOf(NodeHttpHandler);
      expect((handler as NodeHttpHandler).httpHandlerConfigs()).toMatchObject({ connectionTimeout: 3000, requestTimeout: 30000 });
    } finally {
      client.destroy();
    }
  });
});
