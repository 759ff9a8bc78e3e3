import { describeTargetHealth, goneEverywhere, healthyEverywhere, leavingEverywhere, targetGroupName } from '../../../../agent/traffic/target-health';
import type { TargetHealth, TargetState } from '../../../../agent/traffic/target-registry';

const arnA = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-a/0123456789abcdef';
const arnB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-b/fedcba9876543210';

function health(a: TargetState, b: TargetState): TargetHealth[] {
  return [
    { targetGroupArn: arnA, state: a, reason: undefined, description: undefined },
    { targetGroupArn: arnB, state: b, reason: undefined, description: undefined },
  ];
}

describe('verdicts over every target group', () => {
  it('is healthy only when every group says healthy', () => {
    expect(healthyEverywhere(health('healthy', 'healthy'))).toBe(true);
    expect(healthyEverywhere(health('healthy', 'initial'))).toBe(false);
    expect(healthyEverywhere(health('unhealthy', 'healthy'))).toBe(false);
    expect(healthyEverywhere([])).toBe(false);
  });

  it('is gone only when every group reports the target unused', () => {
    expect(goneEverywhere(health('unused', 'unused'))).toBe(true);
    expect(goneEverywhere(health('unused', 'draining'))).toBe(false);
    expect(goneEverywhere([])).toBe(false);
  });

  it('is leaving once every group has taken the deregistration in (draining or gone)', () => {
    expect(leavingEverywhere(health('draining', 'unused'))).toBe(true);
    expect(leavingEverywhere(health('draining', 'draining'))).toBe(true);
    expect(leavingEverywhere(health('draining', 'healthy'))).toBe(false);
    expect(leavingEverywhere([])).toBe(false);
  });
});

describe('describeTargetHealth', () => {
  it('names each group with its state and reason', () => {
    const text = describeTargetHealth([
      { targetGroupArn: arnA, state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [503]' },
      { targetGroupArn: arnB, state: 'healthy', reason: undefined, description: undefined },
    ]);
    expect(text).toBe('web-a: unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [503]), web-b: healthy');
  });

  it('takes the name out of a target group ARN, or keeps what is not one', () => {
    expect(targetGroupName(arnA)).toBe('web-a');
    expect(targetGroupName('tg-1')).toBe('tg-1');
  });
});
