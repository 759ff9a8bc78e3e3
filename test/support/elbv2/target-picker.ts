import type { RegisteredTarget } from './registered-target';
import type { TargetGroup } from './target-group';

/**
 * Which targets of a group may get a new request or connection: the healthy ones; if none is
 * healthy, every registered target that is not draining ("fail open", as the ALB does); draining
 * targets never.
 */
export function eligibleTargets(group: TargetGroup | undefined): RegisteredTarget[] {
  const inService = group?.inService() ?? [];
  const healthy = inService.filter((t) => t.state === 'healthy');
  return healthy.length > 0 ? healthy : inService;
}

/** Round robin over whatever is eligible at each pick. */
export class RoundRobin {
  private counter = 0;

  pick(eligible: readonly RegisteredTarget[]): RegisteredTarget | undefined {
    if (eligible.length === 0) return undefined;
    const target = eligible[this.counter % eligible.length];
    this.counter += 1;
    return target;
  }
}
