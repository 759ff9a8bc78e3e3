import type { TargetHealth } from './target-registry';

/**
 * Verdicts over what every target group says of this instance's target
 * (pure; the waits in drain-watch.ts and healthy-wait.ts poll with them).
 */

/** Healthy in every target group. */
export function healthyEverywhere(health: readonly TargetHealth[]): boolean {
  return health.length > 0 && health.every((h) => h.state === 'healthy');
}

/** The ALB reports the target gone (`unused`, e.g. Target.NotRegistered) in every target group. */
export function goneEverywhere(health: readonly TargetHealth[]): boolean {
  return health.length > 0 && health.every((h) => h.state === 'unused');
}

/** Every target group has taken the deregistration in (draining, or already gone): no new connections come. */
export function leavingEverywhere(health: readonly TargetHealth[]): boolean {
  return health.length > 0 && health.every((h) => h.state === 'draining' || h.state === 'unused');
}

/** `my-app: unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [503])`, one group after another. */
export function describeTargetHealth(health: readonly TargetHealth[]): string {
  return health
    .map((h) => {
      const why = h.reason ? ` (${h.reason}${h.description ? `: ${h.description}` : ''})` : '';
      return `${targetGroupName(h.targetGroupArn)}: ${h.state}${why}`;
    })
    .join(', ');
}

/** `my-app` from arn:aws:elasticloadbalancing:…:targetgroup/my-app/0123…; the ARN itself when it has no such part. */
export function targetGroupName(arn: string): string {
  const match = /:targetgroup\/([^/]+)\//.exec(arn);
  return match?.[1] ?? arn;
}
