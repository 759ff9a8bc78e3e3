import type { InstanceStatus } from '../../agent/store/documents';
import { isLive, type InstanceView } from './fleet';

/**
 * Each instance's last deploy as it was BEFORE desired.json was flipped, so
 * that an old failure of the same version (say, a rollback to a version that
 * once failed) is not taken for the answer to this flip. No clocks compared.
 */
export type RolloutBaseline = ReadonlyMap<string, string>;

export function rolloutBaseline(statuses: readonly InstanceStatus[]): RolloutBaseline {
  const baseline = new Map<string, string>();
  for (const status of statuses) if (status.lastDeploy) baseline.set(status.instanceId, deployKey(status.lastDeploy));
  return baseline;
}

export type RolloutVerdict =
  /** Every live instance runs the version, idle, all workers ready. */
  | { readonly kind: 'converged'; readonly instances: readonly InstanceView[] }
  /** Some instance tried the version since the flip, and failed or rolled back. */
  | { readonly kind: 'failed'; readonly failed: readonly InstanceView[] }
  /** Live instances still on their way (none at all when `pending` is empty). */
  | { readonly kind: 'waiting'; readonly pending: readonly InstanceView[] };

/** Where a rollout of `version` stands, from the instances' reports (DESIGN §3, `--wait`). */
export function judgeRollout(version: string, instances: readonly InstanceView[], baseline: RolloutBaseline): RolloutVerdict {
  const failed = instances.filter((i) => failedSinceFlip(i, version, baseline));
  if (failed.length > 0) return { kind: 'failed', failed };
  const live = instances.filter(isLive);
  const pending = live.filter((i) => !runsHealthy(i, version));
  if (live.length > 0 && pending.length === 0) return { kind: 'converged', instances: live };
  return { kind: 'waiting', pending };
}

function failedSinceFlip(instance: InstanceStatus, version: string, baseline: RolloutBaseline): boolean {
  const last = instance.lastDeploy;
  if (!last || last.version !== version || last.result === 'succeeded') return false;
  return baseline.get(instance.instanceId) !== deployKey(last);
}

function runsHealthy(instance: InstanceStatus, version: string): boolean {
  const { running, state, workers, lastDeploy } = instance;
  const lastOk = lastDeploy?.version !== version || lastDeploy.result === 'succeeded';
  return running === version && state === 'idle' && workers.total > 0 && workers.ready === workers.total && lastOk;
}

/** `i-1 (running v41, state rolling, workers 1/2)`: what an instance is doing instead. */
export function describePending(instance: InstanceStatus): string {
  const parts = [`running ${instance.running ?? 'nothing'}`, `state ${instance.state}`];
  if (instance.workers.ready !== instance.workers.total || instance.workers.total === 0) {
    parts.push(`workers ${instance.workers.ready}/${instance.workers.total}`);
  }
  return `${instance.instanceId} (${parts.join(', ')})`;
}

/** `i-1 (rolled-back: roll to v42 failed at start: …)`. */
export function describeFailure(instance: InstanceStatus): string {
  const last = instance.lastDeploy;
  return `${instance.instanceId} (${last?.result ?? 'failed'}${last?.error ? `: ${last.error}` : ''})`;
}

function deployKey(last: NonNullable<InstanceStatus['lastDeploy']>): string {
  return `${last.version}@${last.startedAt}`;
}
