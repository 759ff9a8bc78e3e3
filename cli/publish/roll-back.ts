import { DeployError } from '../../agent/errors';
import type { Strategy } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';
import { desiredNow, isStoreConflict } from './desired-conflict';
import { writeDesiredOnce } from './own-write';

export interface RollbackRequest {
  /** The version to go to; desired.json's `previous` when not given. */
  readonly target?: string;
  readonly now?: () => Date;
}

export interface RollbackResult {
  readonly version: string;
  /** The version desired.json named before (now its `previous`). */
  readonly replaced: string;
  readonly strategy: Strategy;
}

/**
 * Points desired.json back at `previous` (or at a named version that has a
 * manifest in the store), with `previous` set to the version it replaces. The
 * write is conditional on the desired.json that was read, so a push or
 * rollback landing in between is never silently overwritten (STORE_CONFLICT);
 * a write of ours whose answer was lost is not one (own-write.ts).
 */
export async function rollBack(store: ReleaseStore, request: RollbackRequest): Promise<RollbackResult> {
  const read = await store.readDesired();
  if (!read) throw new DeployError('NOTHING_TO_ROLL_BACK', `there is no desired.json in ${store.url}: nothing was pushed, so there is nothing to roll back`);
  const from = read.value;
  const target = request.target ?? from.previous;
  if (target === undefined) {
    throw new DeployError(
      'NO_PREVIOUS_VERSION',
      `desired.json (${from.version}) names no previous version; name the one to go to: deployctl rollback <version> (see 'deployctl releases')`,
    );
  }
  if (target === from.version) throw new DeployError('ALREADY_DESIRED', `${target} is already the desired version; nothing to do`);
  if ((await store.readManifest(target)) === undefined) {
    throw new DeployError('VERSION_NOT_FOUND', `unknown version ${target}: releases/${target}.json is not in ${store.url} (see 'deployctl releases')`);
  }
  const updatedAt = (request.now?.() ?? new Date()).toISOString();
  try {
    await writeDesiredOnce(store, { version: target, strategy: from.strategy, updatedAt, previous: from.version }, { ifMatch: read.etag });
  } catch (error) {
    if (!isStoreConflict(error)) throw error;
    throw new DeployError(
      'STORE_CONFLICT',
      `rollback not done: desired.json changed while it ran (${await desiredNow(store)}: another push or rollback); check 'deployctl status', then run the rollback again if it is still wanted`,
      { cause: error },
    );
  }
  return { version: target, replaced: from.version, strategy: from.strategy };
}
