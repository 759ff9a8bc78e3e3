import { DeployError } from '../../agent/errors';
import { appendHistory } from '../../agent/rollout/history';
import { listLive, type LiveRecord } from '../../agent/rollout/rollout-records';
import type { DesiredState, Manifest, RolloutPolicy, Strategy } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';
import { desiredNow, isStoreConflict } from './desired-conflict';
import { lastGoodAfter } from './last-good';
import { writeDesiredOnce } from './own-write';

export interface RollbackRequest {
  /** The version to go to; the newest that went live before the desired one when not given. */
  readonly target?: string;
  /** Go to a named version even though it never went live on the fleet. */
  readonly force?: boolean;
  /** The rollout policy (rollback --canary/--batch/…). */
  readonly rollout?: (version: string) => RolloutPolicy;
  readonly by?: string;
  readonly now?: () => Date;
}

export interface RollbackResult {
  readonly version: string;
  /** The version desired.json named before (now its `previous`). */
  readonly replaced: string;
  readonly strategy: Strategy;
  /** Why this version: what the choice was based on. */
  readonly reason: string;
  /** The version was desired already: nothing was written. */
  readonly noop: boolean;
  readonly rollout?: RolloutPolicy;
}

/**
 * `deployctl rollback` (DESIGN §3, §7): points desired.json at the newest
 * version that went live on the fleet (live/<version>.json) and was created
 * before the desired one, or at a named version, which must have gone live
 * unless `force`. Rolling back to the desired version changes nothing. The
 * write is conditional on the desired.json that was read (STORE_CONFLICT); a write of ours whose
 * answer was lost is not one (own-write.ts).
 */
export async function rollBack(store: ReleaseStore, request: RollbackRequest): Promise<RollbackResult> {
  const read = await store.readDesired();
  if (!read) throw new DeployError('NOTHING_TO_ROLL_BACK', `there is no desired.json in ${store.url}: nothing was pushed, so there is nothing to roll back`);
  const from = read.value;
  if (request.target === from.version) {
    return { version: from.version, replaced: from.version, strategy: from.strategy, reason: `${from.version} is already the desired version; nothing to do`, noop: true };
  }
  const [manifests, live] = await Promise.all([store.listManifests(), listLive(store.docs)]);
  const { target, reason } = request.target === undefined ? chooseTarget(from, manifests, live, store.url) : await checkNamed(store, request.target, live, request.force === true);
  const now = request.now?.() ?? new Date();
  const rollout = request.rollout?.(target);
  const lastGood = await lastGoodAfter(store, from);
  const next: DesiredState = {
    version: target,
    strategy: from.strategy,
    updatedAt: now.toISOString(),
    previous: from.version,
    ...(rollout ? { rollout } : {}),
    ...(lastGood === undefined ? {} : { lastGood }),
  };
  try {
    await writeDesiredOnce(store, next, { ifMatch: read.etag });
  } catch (error) {
    if (!isStoreConflict(error)) throw error;
    throw new DeployError(
      'STORE_CONFLICT',
      `rollback not done: desired.json changed while it ran (${await desiredNow(store)}: another push or rollback); check 'deployctl status', then run the rollback again if it is still wanted`,
      { cause: error },
    );
  }
  await appendHistory(store.docs, { kind: 'rollback', version: target, from: from.version, by: request.by ?? 'unknown', at: now.toISOString(), ...(rollout ? { rollout } : {}), reason }).catch(
    () => undefined,
  );
  return { version: target, replaced: from.version, strategy: from.strategy, reason, noop: false, ...(rollout ? { rollout } : {}) };
}

/** The newest version that went live and was created before the desired one; before any went-live record, `previous`. */
function chooseTarget(from: DesiredState, manifests: readonly Manifest[], live: readonly LiveRecord[], url: string): { target: string; reason: string } {
  const created = new Map(manifests.map((m) => [m.version, m.createdAt]));
  if (live.length === 0) {
    if (from.previous !== undefined && created.has(from.previous)) {
      return { target: from.previous, reason: `no version has a went-live record in ${url} yet (agents older than this feature), so the previous version` };
    }
    throw new DeployError(
      'NO_PREVIOUS_VERSION',
      `desired.json (${from.version}) names no previous version; name the one to go to: deployctl rollback <version> (see 'deployctl releases')`,
    );
  }
  const currentCreated = created.get(from.version);
  const candidates = live
    .filter((r) => r.version !== from.version && created.has(r.version))
    .filter((r) => currentCreated === undefined || (created.get(r.version) ?? '') < currentCreated)
    .sort((a, b) => (created.get(b.version) ?? '').localeCompare(created.get(a.version) ?? ''));
  const chosen = candidates[0];
  if (chosen === undefined) {
    throw new DeployError('NO_PREVIOUS_VERSION', `no version older than ${from.version} went live on the fleet (and is still in the store); name the one to go to: deployctl rollback <version> (see 'deployctl releases')`);
  }
  const skipped = from.previous !== undefined && from.previous !== chosen.version && !live.some((r) => r.version === from.previous) ? `; not ${from.previous}, which never went live` : '';
  return { target: chosen.version, reason: `the newest version that went live before ${from.version} (first live on ${chosen.instanceId} at ${chosen.at})${skipped}` };
}

async function checkNamed(store: ReleaseStore, target: string, live: readonly LiveRecord[], force: boolean): Promise<{ target: string; reason: string }> {
  if ((await store.readManifest(target)) === undefined) {
    throw new DeployError('VERSION_NOT_FOUND', `unknown version ${target}: releases/${target}.json is not in ${store.url} (see 'deployctl releases')`);
  }
  const record = live.find((r) => r.version === target);
  if (record) return { target, reason: `named; it went live on ${record.instanceId} at ${record.at}` };
  if (live.length === 0) return { target, reason: `named; no version has a went-live record in ${store.url} yet (agents older than this feature), so it is not checked` };
  if (!force) {
    throw new DeployError('NEVER_LIVE', `${target} never went live on the fleet (no live/${target}.json in ${store.url}); to roll back to it anyway, add --force`);
  }
  return { target, reason: 'named with --force; it never went live on the fleet' };
}
