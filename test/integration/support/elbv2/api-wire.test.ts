import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2ServiceException,
  InvalidTargetException,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2Client } from '../../../support/elbv2/elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator } from '../../../support/elbv2/elbv2-emulator';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

describe('ELBv2 emulator: AWS Query wire protocol', () => {
  let emulator: Elbv2Emulator;
  let client: ElasticLoadBalancingV2Client;
  let arn: string;

  beforeEach(async () => {
    emulator = await withTimeout(createElbv2Emulator(), 5000, 'emulator start');
    client = elbv2Client(emulator.endpoint, 3);
    arn = emulator.createTargetGroup({ name: 'wire', port: 1, intervalMs: 60_000, timeoutMs: 1000 });
  });

  afterEach(async () => {
    client.destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
  });

  it('receives RegisterTargets from the SDK as Query parameters (Targets.member.N.Id/Port)', async () => {
    // WHEN
    await client.send(
      new RegisterTargetsCommand({
        TargetGroupArn: arn,
        Targets: [{ Id: 'i-a', Port: 8081 }, { Id: 'i-b' }],
      }),
    );

    // THEN
    expect(emulator.requests).toHaveLength(1);
    expect(emulator.requests[0]).toMatchObject({
      action: 'RegisterTargets',
      status: 200,
      params: {
        Action: 'RegisterTargets',
        Version: '2015-12-01',
        TargetGroupArn: arn,
        'Targets.member.1.Id': 'i-a',
        'Targets.member.1.Port': '8081',
        'Targets.member.2.Id': 'i-b',
      },
    });
    expect(Object.keys(emulator.requests[0]?.params ?? {})).not.toContain('Targets.member.2.Port');
  });

  it('surfaces an unknown target group as TargetGroupNotFoundException', async () => {
    const unknown = arn.replace(/[0-9a-f]{16}$/, '0000000000000000');

    const error: unknown = await client
      .send(new DescribeTargetHealthCommand({ TargetGroupArn: unknown }))
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(TargetGroupNotFoundException);
    expect(error).toMatchObject({
      name: 'TargetGroupNotFoundException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(emulator.requests.map((r) => r.status)).toEqual([400]);
  });

  it('rejects a malformed target group ARN with ValidationError', async () => {
    const error: unknown = await client
      .send(new DescribeTargetHealthCommand({ TargetGroupArn: 'not-an-arn' }))
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ElasticLoadBalancingV2ServiceException);
    expect(error).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
  });

  it('rejects a target port outside 1-65535 as InvalidTargetException', async () => {
    const error: unknown = await client
      .send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a', Port: 70000 }] }))
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(InvalidTargetException);
  });

  it('answers injected throttling with 400 Throttling, which the SDK retries until it succeeds', async () => {
    emulator.injectFaults({ action: 'DescribeTargetHealth', throttle: 2 });

    const out = await withTimeout(
      client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      10_000,
      'DescribeTargetHealth through two throttles',
    );

    expect(out.TargetHealthDescriptions).toEqual([]);
    expect(out.$metadata.attempts).toBe(3);
    expect(emulator.requests.map((r) => [r.action, r.status])).toEqual([
      ['DescribeTargetHealth', 400],
      ['DescribeTargetHealth', 400],
      ['DescribeTargetHealth', 200],
    ]);
  });

  it('answers injected server errors with 500/503, which the SDK retries up to maxAttempts', async () => {
    emulator.injectFaults({ serverError: 1, serverErrorStatus: 503 });
    const recovered = await withTimeout(
      client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      10_000,
      'DescribeTargetHealth through one 503',
    );
    emulator.injectFaults({ serverError: 3 });
    const error: unknown = await withTimeout(
      client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })).catch((err: unknown) => err),
      10_000,
      'DescribeTargetHealth through three 500s',
    );

    expect(recovered.$metadata.attempts).toBe(2);
    expect(error).toMatchObject({ name: 'InternalFailure', $fault: 'server', $metadata: { attempts: 3 } });
    expect(emulator.requests.map((r) => r.status)).toEqual([503, 200, 500, 500, 500]);
  });

  it('fails every request of an outage from its first RegisterTargets, throttling and 5xx in turn, until forMs has passed', async () => {
    const outage = emulator.startOutage({ forMs: 3000, beginsWith: 'RegisterTargets' });
    await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    expect(outage.endsAt).toBeUndefined();

    const failed: unknown = await withTimeout(
      client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a', Port: 8081 }] })).catch((err: unknown) => err),
      10_000,
      'RegisterTargets in the outage',
    );
    const began = await outage.began;
    await waitUntil(() => Date.now() >= (outage.endsAt ?? Infinity), 5000, 'the outage to end');
    const after = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));

    expect(outage.endsAt).toBe(began + 3000);
    expect(failed).toMatchObject({ $metadata: { attempts: 3 } });
    expect(emulator.requests.map((r) => [r.action, r.status])).toEqual([
      ['DescribeTargetHealth', 200],
      ['RegisterTargets', 400],
      ['RegisterTargets', 500],
      ['RegisterTargets', 503],
      ['DescribeTargetHealth', 200],
    ]);
    expect(after.TargetHealthDescriptions).toEqual([]);
  });

  it('refuses an unknown action with InvalidAction', async () => {
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=CreateLoadBalancer&Version=2015-12-01',
    });
    const body = await res.text();

    expect(res.status).toBe(400);
    expect(body).toContain('<Code>InvalidAction</Code>');
    expect(body).toContain('<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">');
  });
});
