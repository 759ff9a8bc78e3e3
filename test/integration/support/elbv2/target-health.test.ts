import {
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2Client } from '../../../support/elbv2/elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator } from '../../../support/elbv2/elbv2-emulator';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { describeTarget, waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { withTimeout } from '../../../support/with-timeout';

describe('ELBv2 emulator: target health', () => {
  let emulator: Elbv2Emulator;
  let client: ElasticLoadBalancingV2Client;
  const targets: HttpTarget[] = [];

  const startTarget = async (name: string, healthStatus = 200): Promise<HttpTarget> => {
    const target = await withTimeout(startHttpTarget({ name, healthStatus }), 5000, `target ${name} start`);
    targets.push(target);
    return target;
  };
  const groupFor = (port: number): string =>
    emulator.createTargetGroup({
      name: 'app',
      port,
      healthCheckPath: '/health',
      intervalMs: 500,
      timeoutMs: 300,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    });

  beforeEach(async () => {
    emulator = await withTimeout(createElbv2Emulator(), 5000, 'emulator start');
    client = elbv2Client(emulator.endpoint);
  });

  afterEach(async () => {
    client.destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
    await withTimeout(Promise.all(targets.splice(0).map((t) => t.close())), 5000, 'targets close');
  });

  it('reports a registered target initial, then healthy after the healthy threshold', async () => {
    // GIVEN
    const app = await startTarget('a');
    const arn = groupFor(app.port);

    // WHEN
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    const first = await describeTarget(client, arn, 'i-a');
    await waitForTargetState(client, arn, 'i-a', 'healthy', 5000);

    // THEN
    // (The first look may land after registration, during the initial health checks.)
    expect(first).toEqual({
      Target: { Id: 'i-a', Port: app.port },
      HealthCheckPort: String(app.port),
      TargetHealth: expect.objectContaining({ State: 'initial' }) as unknown,
    });
    expect(['Elb.RegistrationInProgress', 'Elb.InitialHealthChecking']).toContain(first?.TargetHealth?.Reason);
    expect(await describeTarget(client, arn, 'i-a')).toEqual({
      Target: { Id: 'i-a', Port: app.port },
      HealthCheckPort: String(app.port),
      TargetHealth: { State: 'healthy' },
    });
    expect(app.healthChecks()).toBeGreaterThanOrEqual(2);
    expect(emulator.timeline.map((e) => [e.targetId, e.from, e.to, e.reason])).toEqual([
      ['i-a', 'unused', 'initial', 'Elb.RegistrationInProgress'],
      ['i-a', 'initial', 'initial', 'Elb.InitialHealthChecking'],
      ['i-a', 'initial', 'healthy', undefined],
    ]);
  });

  it('marks a target answering 500 unhealthy with Target.ResponseCodeMismatch', async () => {
    const app = await startTarget('a', 500);
    const arn = groupFor(app.port);

    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    await waitForTargetState(client, arn, 'i-a', 'unhealthy', 5000);

    expect((await describeTarget(client, arn, 'i-a'))?.TargetHealth).toEqual({
      State: 'unhealthy',
      Reason: 'Target.ResponseCodeMismatch',
      Description: 'Health checks failed with these codes: [500]',
    });
  });

  it('brings an unhealthy target back to healthy once it passes the healthy threshold', async () => {
    const app = await startTarget('a', 503);
    const arn = groupFor(app.port);
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    await waitForTargetState(client, arn, 'i-a', 'unhealthy', 5000);

    app.healthStatus = 200;
    await waitForTargetState(client, arn, 'i-a', 'healthy', 5000);

    expect(emulator.timeline.map((e) => e.to)).toEqual(['initial', 'initial', 'unhealthy', 'healthy']);
  });

  it('marks a target whose health check hangs unhealthy with Target.Timeout', async () => {
    const app = await startTarget('a', 0);
    const arn = groupFor(app.port);

    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    await waitForTargetState(client, arn, 'i-a', 'unhealthy', 5000);

    expect((await describeTarget(client, arn, 'i-a'))?.TargetHealth).toMatchObject({
      State: 'unhealthy',
      Reason: 'Target.Timeout',
    });
  });

  it('marks a target that refuses connections unhealthy with Target.FailedHealthChecks', async () => {
    const app = await startTarget('a');
    const arn = groupFor(app.port);
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    await waitForTargetState(client, arn, 'i-a', 'healthy', 5000);

    await app.close();
    await waitForTargetState(client, arn, 'i-a', 'unhealthy', 5000);

    expect((await describeTarget(client, arn, 'i-a'))?.TargetHealth).toMatchObject({
      State: 'unhealthy',
      Reason: 'Target.FailedHealthChecks',
    });
  });

  it('reports an explicitly named target that is not registered as unused/Target.NotRegistered', async () => {
    const app = await startTarget('a');
    const arn = groupFor(app.port);
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));

    const out = await client.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }, { Id: 'i-zzz', Port: 9 }] }),
    );

    expect(out.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.TargetHealth?.State])).toEqual([
      ['i-a', 'initial'],
      ['i-zzz', 'unused'],
    ]);
    expect(out.TargetHealthDescriptions?.[1]).toEqual({
      Target: { Id: 'i-zzz', Port: 9 },
      HealthCheckPort: '9',
      TargetHealth: {
        State: 'unused',
        Reason: 'Target.NotRegistered',
        Description: 'Target is not registered to the target group',
      },
    });
  });
});
