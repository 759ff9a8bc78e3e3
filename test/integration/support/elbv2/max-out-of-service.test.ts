import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { maxOutOfService, type TimelineEvent } from '../../../support/elbv2/elbv2-emulator';
import { startFleet, type Fleet } from '../../../support/elbv2/fleet';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef';

function event(at: number, targetId: string, from: TimelineEvent['from'], to: TimelineEvent['to']): TimelineEvent {
  return { at, targetGroupArn: ARN, targetId, port: 80, from, to, reason: undefined };
}

/** Both targets register and become healthy by t=20; then a and b are replaced one at a time. */
const rollout: TimelineEvent[] = [
  event(0, 'a', 'unused', 'initial'),
  event(0, 'b', 'unused', 'initial'),
  event(10, 'a', 'initial', 'healthy'),
  event(20, 'b', 'initial', 'healthy'),
  event(100, 'a', 'healthy', 'draining'),
  event(110, 'a', 'draining', 'initial'),
  event(120, 'a', 'initial', 'healthy'),
  event(200, 'b', 'healthy', 'draining'),
  event(220, 'b', 'draining', 'initial'),
  event(230, 'b', 'initial', 'healthy'),
];

describe('maxOutOfService', () => {
  it('counts targets out of service before their first healthy event', () => {
    expect(maxOutOfService(rollout, ARN, ['a', 'b'])).toBe(2);
  });

  it('measures a one-at-a-time rollout as one out of service from a settled moment on', () => {
    expect(maxOutOfService(rollout, ARN, ['a', 'b'], { from: 20 })).toBe(1);
  });

  it('applies events of the same millisecond together', () => {
    const swap = [...rollout.slice(0, 4), event(50, 'a', 'healthy', 'draining'), event(50, 'b', 'healthy', 'draining')];
    expect(maxOutOfService(swap, ARN, ['a', 'b'], { from: 20 })).toBe(2);
  });

  it('ignores other target groups and targets not asked about, and stops at window.to', () => {
    const noise = [...rollout, { ...event(150, 'b', 'healthy', 'unhealthy'), targetGroupArn: `${ARN}0` }];
    expect(maxOutOfService(noise, ARN, ['a'], { from: 20, to: 105 })).toBe(1);
    expect(maxOutOfService(noise, ARN, ['b'], { from: 20, to: 150 })).toBe(0);
  });

  it('counts a target with no event at all as out of service', () => {
    expect(maxOutOfService(rollout, ARN, ['a', 'b', 'c'], { from: 20 })).toBe(2);
  });

  describe('on a real emulator timeline', () => {
    let fleet: Fleet | undefined;

    afterEach(async () => {
      await fleet?.stop();
      fleet = undefined;
    });

    it('sees two out of service when both targets are deregistered at once', async () => {
      fleet = await startFleet({ names: ['a', 'b'], deregistrationDelayS: 0 });
      await fleet.registerHealthy('a', 'b');
      const settled = Date.now();
      const { client, arn } = fleet;
      const refs = fleet.targets.map((t) => ({ Id: `i-${t.name}`, Port: t.port }));

      await client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: refs }));
      await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: refs }));
      for (const ref of refs) await waitForTargetState(client, arn, ref.Id, 'healthy', 5000);

      expect(maxOutOfService(fleet.emulator.timeline, arn, ['i-a', 'i-b'], { from: settled })).toBe(2);
    });

    it('sees one out of service when targets are replaced one at a time', async () => {
      fleet = await startFleet({ names: ['a', 'b'], deregistrationDelayS: 0 });
      await fleet.registerHealthy('a', 'b');
      const settled = Date.now();

      for (const name of ['a', 'b']) {
        const ref = { Id: `i-${name}`, Port: fleet.target(name).port };
        await fleet.client.send(new DeregisterTargetsCommand({ TargetGroupArn: fleet.arn, Targets: [ref] }));
        await waitForTargetState(fleet.client, fleet.arn, ref.Id, 'gone', 2000);
        await fleet.registerHealthy(name);
      }

      expect(maxOutOfService(fleet.emulator.timeline, fleet.arn, ['i-a', 'i-b'], { from: settled })).toBe(1);
    });
  });
});
