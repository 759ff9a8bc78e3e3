import type { RolloutPolicy } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';
import { DEFAULT_STALE_AFTER_MS, isLive, readFleet, type InstanceView } from './fleet';
import { followRollout } from './follow-rollout';
import { resolvePolicy, type RolloutRequest } from './rollout-flags';
import { prepareWait } from './wait-for-rollout';
import type { WaitOptions } from './wait-options';

/** The policy of a push or rollback: percentages resolved against the instances reporting now. */
export async function policyFor(store: ReleaseStore, request: RolloutRequest | undefined, by: string): Promise<((version: string) => RolloutPolicy) | undefined> {
  if (!request) return undefined;
  const fleet = await readFleet(store, DEFAULT_STALE_AFTER_MS);
  const live = fleet.instances.filter(isLive).length;
  return (version) => resolvePolicy(request, version, live, by);
}

/**
 * `--wait` of push and rollback: call before desired.json is flipped; the
 * function it returns follows the rollout when there is a policy, or waits
 * for every live instance as before.
 */
export async function prepareRolloutWait(
  store: ReleaseStore,
  options: WaitOptions,
  progress: NodeJS.WritableStream,
  by: string,
): Promise<(version: string, rollout: RolloutPolicy | undefined) => Promise<readonly InstanceView[]>> {
  const plain = await prepareWait(store, options, progress);
  return (version, rollout) =>
    rollout ? followRollout(store, { version, rolloutId: rollout.id, ...options, by, progress }) : plain(version);
}
