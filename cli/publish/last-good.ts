import type { DesiredState } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';
import { liveKey } from '../../agent/rollout/rollout-records';

/**
 * desired.json's `lastGood` for the document that replaces `current`
 * (DESIGN §7): the version it names when that went live on the fleet (an
 * agent wrote live/<version>.json), else the lastGood it carried.
 */
export async function lastGoodAfter(store: Pick<ReleaseStore, 'docs'>, current: DesiredState | undefined): Promise<string | undefined> {
  if (current === undefined) return undefined;
  if ((await store.docs.read(liveKey(current.version))) !== undefined) return current.version;
  return current.lastGood;
}
