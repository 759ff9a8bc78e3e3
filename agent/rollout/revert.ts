import { DeployError } from '../errors';
import type { DesiredState } from '../store/documents';
import type { ReleaseStore, Versioned } from '../store/release-store';
import { appendHistory } from './history';

export type RevertOutcome =
  /** This writer's conditional write won. */
  | { readonly kind: 'reverted'; readonly to: string }
  /** desired.json changed first (another agent reverted, or a push landed). */
  | { readonly kind: 'lost' }
  /** There is nothing to revert to. */
  | { readonly kind: 'no-last-good' };

/**
 * Points desired.json back at `lastGood` (DESIGN §7), conditional on the
 * desired.json that was read: of many agents noticing a spent budget at once,
 * exactly one wins. The new document has no `rollout` (the instances on the
 * bad version roll back as a normal deploy) and names `revertedFrom`,
 * `revertReason` and `revertedRollout`. The winner writes the history entry.
 */
export async function revertDesired(
  store: Pick<ReleaseStore, 'writeDesired' | 'docs'>,
  desired: Versioned<DesiredState>,
  reason: string,
  by: string,
  kind: 'revert' | 'abort' = 'revert',
  now: Date = new Date(),
): Promise<RevertOutcome> {
  const from = desired.value;
  if (from.lastGood === undefined || from.lastGood === from.version) return { kind: 'no-last-good' };
  const next: DesiredState = {
    version: from.lastGood,
    strategy: from.strategy,
    updatedAt: now.toISOString(),
    previous: from.version,
    lastGood: from.lastGood,
    revertedFrom: from.version,
    revertReason: reason,
    ...(from.rollout ? { revertedRollout: from.rollout.id } : {}),
  };
  try {
    await store.writeDesired(next, { ifMatch: desired.etag });
  } catch (error) {
    if (error instanceof DeployError && error.code === 'STORE_CONFLICT') return { kind: 'lost' };
    throw error;
  }
  await appendHistory(store.docs, {
    kind,
    version: from.lastGood,
    from: from.version,
    by,
    at: now.toISOString(),
    ...(from.rollout ? { revertedRollout: from.rollout.id } : {}),
    reason,
  }).catch(() => undefined); // the revert stands without its history line
  return { kind: 'reverted', to: from.lastGood };
}
