import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2Client } from '../../../support/elbv2/elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator } from '../../../support/elbv2/elbv2-emulator';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { withTimeout } from '../../../support/with-timeout';

const DELAY = 'deregistration_delay.timeout_seconds';

describe('ELBv2 emulator: target groups and their attributes', () => {
  let emulator: Elbv2Emulator;
  let client: ElasticLoadBalancingV2Client;
  let blue: string;
  let green: string;

  beforeEach(async () => {
    emulator = await withTimeout(createElbv2Emulator(), 5000, 'emulator start');
    client = elbv2Client(emulator.endpoint);
    blue = emulator.createTargetGroup({ name: 'blue', port: 8080, healthCheckPath: '/health', intervalMs: 2000 });
    green = emulator.createTargetGroup({ name: 'green', port: 8081, deregistrationDelayS: 30 });
  });

  afterEach(async () => {
    client.destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
  });

  it('describes target groups by ARN, by name and all, in the real shape', async () => {
    const byArn = await client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [blue] }));
    const byName = await client.send(new DescribeTargetGroupsCommand({ Names: ['green'] }));
    const all = await client.send(new DescribeTargetGroupsCommand({}));

    expect(byArn.TargetGroups).toEqual([
      {
        TargetGroupArn: blue,
        TargetGroupName: 'blue',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: expect.stringMatching(/^vpc-/) as unknown,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: 'traffic-port',
        HealthCheckEnabled: true,
        HealthCheckIntervalSeconds: 2,
        HealthCheckTimeoutSeconds: 1,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 2,
        HealthCheckPath: '/health',
        Matcher: { HttpCode: '200' },
        LoadBalancerArns: [emulator.loadBalancerArn],
        TargetType: 'instance',
        ProtocolVersion: 'HTTP1',
        IpAddressType: 'ipv4',
      },
    ]);
    expect(blue).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/blue\/[0-9a-f]{16}$/);
    expect(byName.TargetGroups?.map((g) => [g.TargetGroupArn, g.LoadBalancerArns])).toEqual([[green, []]]);
    expect(all.TargetGroups?.map((g) => g.TargetGroupName)).toEqual(['blue', 'green']);
  });

  it('surfaces an unknown name as TargetGroupNotFoundException', async () => {
    await expect(client.send(new DescribeTargetGroupsCommand({ Names: ['nope'] }))).rejects.toBeInstanceOf(
      TargetGroupNotFoundException,
    );
  });

  it('round-trips deregistration_delay.timeout_seconds through Describe/ModifyTargetGroupAttributes', async () => {
    // GIVEN
    const before = await client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: blue }));

    // WHEN
    const modified = await client.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: blue, Attributes: [{ Key: DELAY, Value: '15' }] }),
    );
    const after = await client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: blue }));
    const other = await client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: green }));

    // THEN
    expect(before.Attributes).toContainEqual({ Key: DELAY, Value: '300' });
    expect(before.Attributes).toContainEqual({ Key: 'stickiness.enabled', Value: 'false' });
    expect(modified.Attributes).toContainEqual({ Key: DELAY, Value: '15' });
    expect(after.Attributes).toEqual(modified.Attributes);
    expect(other.Attributes).toContainEqual({ Key: DELAY, Value: '30' });
  });

  it.each([
    ['a delay above 3600', DELAY, '3601'],
    ['a negative delay', DELAY, '-1'],
    ['a delay that is not an integer', DELAY, '1.5'],
    ['an unknown key', 'no_such.attribute', '1'],
  ])('refuses %s with ValidationError and changes nothing', async (_label, key, value) => {
    const error: unknown = await client
      .send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: blue, Attributes: [{ Key: key, Value: value }] }))
      .catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    const after = await client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: blue }));
    expect(after.Attributes).toContainEqual({ Key: DELAY, Value: '300' });
  });

  describe('with a real target', () => {
    let app: HttpTarget;

    beforeEach(async () => {
      app = await withTimeout(startHttpTarget({ name: 'a' }), 5000, 'target start');
    });

    afterEach(async () => {
      await withTimeout(app.close(), 5000, 'target close');
    });

    it('drains a deregistered target for the modified delay', async () => {
      const arn = emulator.createTargetGroup({ name: 'real', port: app.port, healthCheckPath: '/health', intervalMs: 500 });
      await client.send(
        new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: DELAY, Value: '0' }] }),
      );
      await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
      await waitForTargetState(client, arn, 'i-a', 'healthy', 5000);

      await client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
      await waitForTargetState(client, arn, 'i-a', 'gone', 1000);

      expect(emulator.timeline.map((e) => e.to).slice(-2)).toEqual(['draining', 'unused']);
    });
  });
});
