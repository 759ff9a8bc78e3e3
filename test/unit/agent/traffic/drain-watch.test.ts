import { DrainProgress } from '../../../../agent/traffic/drain-watch';
import type { TargetHealth, TargetState } from '../../../../agent/traffic/target-registry';

const arn = (name: string): string => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const seen = (...states: TargetState[]): TargetHealth[] =>
  states.map((state, i) => ({ targetGroupArn: arn(`tg-${i}`), state, reason: undefined, description: undefined }));

describe('DrainProgress', () => {
  it('ends when every target group reports the target gone, with or without early drain', () => {
    for (const early of [true, false]) {
      const progress = new DrainProgress({ early, quietMs: 1000 });
      progress.observeTargets(seen('draining', 'draining'), 0);
      progress.observeConnections(3, 0);
      expect(progress.verdict(10)).toBeUndefined();
      progress.observeTargets(seen('unused', 'draining'), 20);
      expect(progress.verdict(20)).toBeUndefined();
      progress.observeTargets(seen('unused', 'unused'), 30);
      expect(progress.verdict(30)).toBe('target-gone');
    }
  });

  it('ends early after quietMs without an open connection once every group is draining', () => {
    const progress = new DrainProgress({ early: true, quietMs: 1000 });
    progress.observeTargets(seen('draining', 'draining'), 0);
    progress.observeConnections(2, 0);
    progress.observeConnections(0, 500);
    expect(progress.verdict(1400)).toBeUndefined();
    progress.observeConnections(0, 1500);
    expect(progress.verdict(1500)).toBe('no-connections');
  });

  it('starts the quiet period over when a connection opens again', () => {
    const progress = new DrainProgress({ early: true, quietMs: 1000 });
    progress.observeTargets(seen('draining'), 0);
    progress.observeConnections(0, 0);
    progress.observeConnections(1, 900);
    progress.observeConnections(0, 1000);
    expect(progress.verdict(1900)).toBeUndefined();
    expect(progress.verdict(2000)).toBe('no-connections');
  });

  it('counts the quiet period only from when every group has taken the deregistration in', () => {
    const progress = new DrainProgress({ early: true, quietMs: 1000 });
    progress.observeConnections(0, 0);
    progress.observeTargets(seen('draining', 'healthy'), 5000);
    expect(progress.verdict(6000)).toBeUndefined();
    progress.observeTargets(seen('draining', 'draining'), 7000);
    expect(progress.verdict(7999)).toBeUndefined();
    expect(progress.verdict(8000)).toBe('no-connections');
  });

  it('never ends early while nobody can tell how many connections are open', () => {
    const progress = new DrainProgress({ early: true, quietMs: 0 });
    progress.observeTargets(seen('draining'), 0);
    progress.observeConnections(undefined, 0);
    expect(progress.verdict(60_000)).toBeUndefined();
  });

  it('waits for the load balancer alone without early drain', () => {
    const progress = new DrainProgress({ early: false, quietMs: 0 });
    progress.observeTargets(seen('draining'), 0);
    progress.observeConnections(0, 0);
    expect(progress.verdict(60_000)).toBeUndefined();
  });
});
