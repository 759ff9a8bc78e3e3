import { DeployError } from '../../agent/errors';
import type { ReleaseStore } from '../../agent/store/release-store';

/** A conditional write of desired.json lost: someone changed it between our read and our write. */
export function isStoreConflict(error: unknown): boolean {
  return error instanceof DeployError && error.code === 'STORE_CONFLICT';
}

/** `desired.json now names v43` (best effort, for the one-line error of a lost race). */
export async function desiredNow(store: ReleaseStore): Promise<string> {
  try {
    const now = await store.readDesired();
    return now ? `desired.json now names ${now.value.version}` : 'desired.json is gone';
  } catch {
    return 'desired.json changed';
  }
}
