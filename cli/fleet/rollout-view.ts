import { readHistory } from '../../agent/rollout/history';
import { canaryKey, listFailures, pauseKey, readRecord, ticketSchema, type FailureRecord } from '../../agent/rollout/rollout-records';
import type { DesiredState, RolloutPolicy } from '../../agent/store/documents';
import type { ReleaseStore, Versioned } from '../../agent/store/release-store';
import { isLive, readFleet, type InstanceView } from './fleet';

export type RolloutStage = 'canary' | 'baking' | 'batches' | 'done' | 'paused' | 'reverted';
export type InstanceRolloutState = 'waiting' | 'deploying' | 'live' | 'failed';

export interface InstanceInRollout {
  readonly instanceId: string;
  readonly state: InstanceRolloutState;
  /** The failure's error, or what the instance reports (running, step, stale). */
  readonly detail: string;
}

/** `deployctl rollout status` and `--wait`: one look at a rollout from the store (DESIGN §7). */
export interface RolloutView {
  readonly version: string;
  readonly rollout: RolloutPolicy;
  readonly stage: RolloutStage;
  readonly canariesLive: number;
  readonly instances: readonly InstanceInRollout[];
  readonly failures: readonly FailureRecord[];
  /** After a revert: where to and why. */
  readonly revert?: { readonly to: string; readonly reason: string };
  readonly desired: Versioned<DesiredState>;
  /** Every report, for stale checks (--wait). */
  readonly reports: readonly InstanceView[];
}

/** The rollout desired.json carries, or the one it was reverted from; undefined when there is none. */
export async function readRolloutView(store: ReleaseStore, staleAfterMs: number): Promise<RolloutView | undefined> {
  const fleet = await readFleet(store, staleAfterMs);
  const desired = fleet.desired;
  if (!desired) return undefined;
  let rollout = desired.value.rollout;
  let version = desired.value.version;
  let revert: RolloutView['revert'];
  if (!rollout && desired.value.revertedRollout !== undefined) {
    const id = desired.value.revertedRollout;
    const entry = (await readHistory(store.docs)).find((h) => h.rollout?.id === id);
    if (!entry?.rollout) return undefined;
    rollout = entry.rollout;
    version = entry.version;
    revert = { to: desired.value.version, reason: desired.value.revertReason ?? 'reverted' };
  }
  if (!rollout) return undefined;
  const { docs } = store;
  const failures = await listFailures(docs, rollout.id);
  let canariesLive = 0;
  let baking = false;
  for (let index = 0; index < rollout.canary; index++) {
    const ticket = (await readRecord(docs, ticketSchema, canaryKey(rollout.id, index)))?.value;
    if (ticket?.state !== 'live') continue;
    canariesLive += 1;
    if (Date.parse(ticket.liveAt ?? ticket.acquiredAt) + rollout.bakeMs > Date.now()) baking = true;
  }
  const failedBy = new Map(failures.map((f) => [f.instanceId, f.error]));
  const instances = fleet.instances
    .filter((i) => isLive(i) || failedBy.has(i.instanceId))
    .map((i): InstanceInRollout => {
      const error = failedBy.get(i.instanceId);
      if (error !== undefined) return { instanceId: i.instanceId, state: 'failed', detail: error };
      const detail = `running ${i.running ?? 'nothing'}, ${i.state}`;
      if (i.running === version && i.state === 'idle') return { instanceId: i.instanceId, state: 'live', detail };
      if (i.state !== 'idle' && i.desired === version) return { instanceId: i.instanceId, state: 'deploying', detail };
      return { instanceId: i.instanceId, state: 'waiting', detail };
    });
  const paused = (await docs.read(pauseKey(rollout.id))) !== undefined;
  const everyoneLive = instances.length > 0 && instances.every((i) => i.state === 'live');
  const stage: RolloutStage = revert
    ? 'reverted'
    : paused
      ? 'paused'
      : everyoneLive
        ? 'done'
        : canariesLive < rollout.canary
          ? 'canary'
          : baking
            ? 'baking'
            : 'batches';
  return { version, rollout, stage, canariesLive, instances, failures, desired, reports: fleet.instances, ...(revert ? { revert } : {}) };
}

/** `stage batches: 3/6 live, 1 deploying, failures 0/1` */
export function stageLine(view: RolloutView): string {
  const count = (state: InstanceRolloutState) => view.instances.filter((i) => i.state === state).length;
  const parts = [`${count('live')}/${view.instances.length} live`];
  if (count('deploying') > 0) parts.push(`${count('deploying')} deploying`);
  if (view.rollout.canary > 0) parts.push(`canaries ${view.canariesLive}/${view.rollout.canary} live`);
  parts.push(`failures ${view.failures.length}/${view.rollout.maxFailuresCount}`);
  const revert = view.revert ? ` (reverted to ${view.revert.to}: ${view.revert.reason})` : '';
  return `rollout ${view.rollout.id} of ${view.version}: stage ${view.stage}${revert}: ${parts.join(', ')}`;
}
