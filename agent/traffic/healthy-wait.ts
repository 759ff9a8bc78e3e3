import { DeployError, describeError } from '../errors';
import { abortableDelay } from '../lifecycle/abortable-delay';
import type { Logger } from '../log/logger';
import { describeTargetHealth, healthyEverywhere } from './target-health';
import type { TargetHealth, TargetRegistry } from './target-registry';

export interface HealthyWaitOptions {
  readonly registry: Pick<TargetRegistry, 'describe' | 'target'>;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

/**
 * After RegisterTargets: resolves (with the time it took) once every target
 * group reports the target `healthy`. Throws TARGET_NOT_HEALTHY after
 * `timeoutMs`, naming each group's state and reason, or ABORTED. An
 * unhealthy target is not given up on early: ELBv2 keeps checking it.
 */
export async function waitUntilHealthy(options: HealthyWaitOptions): Promise<number> {
  const { registry, log } = options;
  const startedAt = Date.now();
  let last: readonly TargetHealth[] | undefined;
  let problem: string | undefined;
  let seen = '';
  for (;;) {
    try {
      last = await registry.describe();
      problem = undefined;
      if (healthyEverywhere(last)) return Date.now() - startedAt;
      const said = describeTargetHealth(last);
      if (said !== seen) log.info({ targets: said }, `registering: ${said}`);
      seen = said;
    } catch (error) {
      if (describeError(error) !== problem) log.warn({ err: describeError(error) }, 'registering: cannot read the target health; asking again');
      problem = describeError(error);
    }
    const remaining = startedAt + options.timeoutMs - Date.now();
    if (remaining <= 0) {
      const { id, port } = registry.target;
      const state = last ? describeTargetHealth(last) : 'never read';
      throw new DeployError(
        'TARGET_NOT_HEALTHY',
        `${id}:${port} was not healthy in every target group within ${options.timeoutMs} ms (${state}${problem ? `; last error: ${problem}` : ''}); check the target group's health check path and the app's logs`,
      );
    }
    await abortableDelay(Math.min(remaining, options.pollIntervalMs), options.signal, 'waiting for the target to be healthy');
  }
}
