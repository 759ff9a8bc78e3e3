import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostInstanceId, resolveInstanceId } from '../../../../agent/status/instance-id';
import { startFakeImds, type FakeImds } from '../../../support/fake-imds';

const loadBalancer = { targetGroupArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef'] };

describe("this instance's id", () => {
  let imds: FakeImds | undefined;
  afterEach(async () => {
    await imds?.stop();
    imds = undefined;
  });

  it('takes the configured id and never asks IMDS for it', async () => {
    imds = await startFakeImds('i-0fedcba9876543210');
    await expect(resolveInstanceId({ instanceId: 'i-0123456789abcdef0', loadBalancer }, { endpoint: imds.endpoint })).resolves.toBe('i-0123456789abcdef0');
    expect(imds.requests).toEqual([]);
  });

  it('asks IMDSv2 when a load balancer is configured and the config names no id', async () => {
    imds = await startFakeImds('i-0fedcba9876543210');
    await expect(resolveInstanceId({ instanceId: undefined, loadBalancer }, { endpoint: imds.endpoint })).resolves.toBe('i-0fedcba9876543210');
    expect(imds.requests.map((r) => r.method)).toEqual(['PUT', 'GET']);
  });

  it('uses the host name without a load balancer, and never asks IMDS', async () => {
    imds = await startFakeImds('i-0fedcba9876543210');
    await expect(resolveInstanceId({ instanceId: undefined, loadBalancer: undefined }, { endpoint: imds.endpoint })).resolves.toBe(hostInstanceId());
    expect(imds.requests).toEqual([]);
  });

  it('says why it needs the id and what to set when IMDS does not answer', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(resolveInstanceId({ instanceId: undefined, loadBalancer }, { endpoint: `http://127.0.0.1:${port}`, timeoutMs: 500 })).rejects.toMatchObject({
      code: 'IMDS_UNAVAILABLE',
      message: expect.stringMatching(/loadBalancer is configured.*set "instanceId"/),
    });
  });

  it('makes a host name safe for a store key', () => {
    expect(hostInstanceId('ip-10-0-0-1.ec2.internal')).toBe('ip-10-0-0-1.ec2.internal');
    expect(hostInstanceId('my host/../name')).toBe('my-host-..-name');
    expect(hostInstanceId('///')).toBe('unknown-host');
  });
});
