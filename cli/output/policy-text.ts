import type { RolloutPolicy } from '../../agent/store/documents';
import { formatDuration } from '../args/duration';

/** `canary 1 (bake 30s), batch 2, max-failures 1 (revert), deadline 30m` */
export function describePolicy(policy: RolloutPolicy): string {
  const batch = policy.batchSize === null ? policy.batch : policy.batch === String(policy.batchSize) ? policy.batch : `${policy.batch} = ${policy.batchSize}`;
  const failures = policy.maxFailures === String(policy.maxFailuresCount) ? policy.maxFailures : `${policy.maxFailures} = ${policy.maxFailuresCount}`;
  const parts = [
    ...(policy.canary > 0 ? [`canary ${policy.canary}${policy.bakeMs > 0 ? ` (bake ${formatDuration(policy.bakeMs)})` : ''}`] : []),
    `batch ${batch}`,
    `max-failures ${failures} (${policy.revert ? 'revert' : 'no revert'})`,
    `deadline ${formatDuration(policy.deadlineMs)}`,
  ];
  return parts.join(', ');
}
