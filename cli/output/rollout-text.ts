import { formatDuration } from '../args/duration';
import type { RolloutView } from '../fleet/rollout-view';
import { stageLine } from '../fleet/rollout-view';
import { describePolicy } from './policy-text';
import { formatTable, shorten } from './text-table';

/** `deployctl rollout status` as text: the stage line, the policy, one row per instance, the failures. */
export function rolloutText(view: RolloutView): string[] {
  const policy = view.rollout;
  const lines = [
    stageLine(view),
    `policy: ${describePolicy(policy)}; started ${policy.startedAt}${policy.by ? ` by ${policy.by}` : ''}`,
  ];
  if (view.instances.length > 0) {
    lines.push('', ...formatTable(['INSTANCE', 'STATE', 'DETAIL'], view.instances.map((i) => [i.instanceId, i.state, shorten(i.detail, 100)])));
  }
  if (view.failures.length > 0) {
    lines.push('', `failures (${view.failures.length} of a budget of ${policy.maxFailuresCount}):`);
    for (const f of view.failures) lines.push(`  ${f.instanceId} at ${f.at}: ${shorten(f.error, 160)}`);
  }
  if (view.stage === 'baking') lines.push('', `the canaries bake for ${formatDuration(policy.bakeMs)} before the batches start`);
  return lines;
}

/** `deployctl rollout status --json`. */
export function rolloutJson(view: RolloutView): Record<string, unknown> {
  return {
    version: view.version,
    id: view.rollout.id,
    stage: view.stage,
    policy: view.rollout,
    canariesLive: view.canariesLive,
    failures: view.failures.map((f) => ({ instanceId: f.instanceId, error: f.error, at: f.at })),
    budget: view.rollout.maxFailuresCount,
    instances: view.instances,
    ...(view.revert ? { revertedTo: view.revert.to, revertReason: view.revert.reason } : {}),
  };
}
