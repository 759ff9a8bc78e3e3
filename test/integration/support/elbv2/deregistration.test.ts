import {
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2Client } from '../../../support/elbv2/elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator } from '../../../support/elbv2/elbv2-emulator';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { describeTarget, waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { withTimeout } from '../../../support/with-timeout';

describe('ELBv2 emulator: deregistration', () => {
  let emulator: Elbv2Emulator;
  let client: ElasticLoadBalancingV2Client;
  let app: HttpTarget;
  let arn: string;

  beforeEach(async () => {
    emulator = await withTimeout(createElbv2Emulator(), 5000, 'emulator start');
    client = elbv2Client(emulator.endpoint);
    app = await withTimeout(startHttpTarget({ name: 'a' }), 5000, 'target start');
    arn = emulator.createTargetGroup({
      name: 'app',
      port: app.port,
      healthCheckPath: '/health',
      intervalMs: 500,
      timeoutMs: 300,
      deregistrationDelayS: 1,
    });
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    await waitForTargetState(client, arn, 'i-a', 'healthy', 5000);
  });

  afterEach(async () => {
    client.destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
    await withTimeout(app.close(), 5000, 'target close');
  });

  it('keeps a deregistered target draining for the whole delay, even with no connections, then drops it', async () => {
    // WHEN
    const deregisteredAt = Date.now();
    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    const draining = await describeTarget(client, arn, 'i-a');
    await waitForTargetState(client, arn, 'i-a', 'gone', 5000);
    const goneAt = Date.now();

    // THEN
    expect(draining?.TargetHealth).toEqual({
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    });
    expect(emulator.connectionsTo(arn, 'i-a', app.port)).toBe(0);
    expect(goneAt - deregisteredAt).toBeGreaterThanOrEqual(990);
    const drainEvents = emulator.timeline.filter((e) => e.from === 'draining' || e.to === 'draining');
    expect(drainEvents.map((e) => [e.from, e.to, e.reason])).toEqual([
      ['healthy', 'draining', 'Target.DeregistrationInProgress'],
      ['draining', 'unused', 'Target.NotRegistered'],
    ]);
    const [start, end] = drainEvents;
    // (Node timers may fire a millisecond early by Date.now().)
    expect((end?.at ?? 0) - (start?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('stops health checks of a draining target', async () => {
    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    const checksAtDeregistration = app.healthChecks();

    await waitForTargetState(client, arn, 'i-a', 'gone', 5000);

    // One check may have been in flight when deregistration began.
    expect(app.healthChecks()).toBeLessThanOrEqual(checksAtDeregistration + 1);
  });

  it('brings a draining target back as initial when it is registered again', async () => {
    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));

    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));
    const reRegistered = await describeTarget(client, arn, 'i-a');
    await waitForTargetState(client, arn, 'i-a', 'healthy', 5000);

    expect(reRegistered?.TargetHealth?.State).toBe('initial');
    expect(emulator.timeline.map((e) => [e.from, e.to]).slice(3)).toEqual([
      ['healthy', 'draining'],
      ['draining', 'initial'],
      ['initial', 'initial'],
      ['initial', 'healthy'],
    ]);
    // The old drain timer no longer runs: the target stays.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await describeTarget(client, arn, 'i-a'))?.TargetHealth?.State).toBe('healthy');
  });

  it('accepts deregistering a target that is not registered', async () => {
    await expect(
      client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-nope', Port: 1234 }] })),
    ).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });

    expect((await describeTarget(client, arn, 'i-a'))?.TargetHealth?.State).toBe('healthy');
  });

  it('leaves a registered target alone when it is registered again', async () => {
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-a' }] }));

    expect((await describeTarget(client, arn, 'i-a'))?.TargetHealth?.State).toBe('healthy');
    expect(emulator.timeline).toHaveLength(3);
  });
});
