import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError, describeError } from '../../agent/errors';
import { revertDesired } from '../../agent/rollout/revert';
import { recordFailure } from '../../agent/rollout/rollout-records';
import type { ReleaseStore } from '../../agent/store/release-store';
import { formatAge, formatDuration } from '../args/duration';
import { STOPPED_STATE } from '../../agent/status/instance-report';
import { readRolloutView, stageLine, type RolloutView } from './rollout-view';
import type { InstanceView } from './fleet';

export interface FollowRequest {
  readonly version: string;
  readonly rolloutId: string;
  readonly timeoutMs: number;
  readonly staleAfterMs: number;
  /** Who the CLI records as the author of a failure or a revert. */
  readonly by: string;
  /** @default 1000 */
  readonly pollMs?: number;
  readonly progress: NodeJS.WritableStream;
}

/**
 * `push --wait` / `rollback --wait` with a rollout policy (DESIGN §7): prints
 * the stage whenever it changes; returns the instances once every live one
 * runs the version; fails with ROLLOUT_REVERTED (naming the failed instances
 * and their errors) when the fleet was reverted. An instance whose report
 * goes stale in the middle of deploying the version counts as a failure of
 * the rollout (written to its failure records, so the agents see it too).
 */
export async function followRollout(store: ReleaseStore, request: FollowRequest): Promise<readonly InstanceView[]> {
  const deadline = Date.now() + request.timeoutMs;
  request.progress.write(`following rollout ${request.rolloutId} of ${request.version} for up to ${formatDuration(request.timeoutMs)}\n`);
  let said = '';
  for (;;) {
    let line: string;
    let done: readonly InstanceView[] | undefined;
    try {
      const view = await readRolloutView(store, request.staleAfterMs);
      line = view ? stageLine(view) : 'no rollout in desired.json yet';
      if (line !== said) request.progress.write(`${line}\n`);
      said = line;
      done = await judge(store, request, view);
    } catch (error) {
      if (error instanceof DeployError && error.code.startsWith('ROLLOUT_')) throw error;
      line = `the store: ${describeError(error)}`;
      if (line !== said) request.progress.write(`${line}\n`);
      said = line;
    }
    if (done) return done;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new DeployError('ROLLOUT_TIMEOUT', `timed out after ${formatDuration(request.timeoutMs)}; last: ${line}`);
    await sleep(Math.min(request.pollMs ?? 1_000, remaining));
  }
}

async function judge(store: ReleaseStore, request: FollowRequest, view: RolloutView | undefined): Promise<readonly InstanceView[] | undefined> {
  if (!view) return undefined;
  const { desired } = view;
  if (view.rollout.id !== request.rolloutId) {
    throw new DeployError('ROLLOUT_SUPERSEDED', `stopped following: desired.json now names ${desired.value.version} (another push or rollback)`);
  }
  if (view.stage === 'reverted') {
    const failed = view.failures.map((f) => `${f.instanceId} (${f.error})`).join('; ') || 'none recorded';
    throw new DeployError('ROLLOUT_REVERTED', `${request.version} was reverted to ${view.revert?.to ?? 'lastGood'}: ${view.revert?.reason ?? ''}; failed instances: ${failed}`);
  }
  if (desired.value.version !== request.version) {
    throw new DeployError('ROLLOUT_SUPERSEDED', `stopped following: desired.json now names ${desired.value.version}, not ${request.version}`);
  }
  await countStale(store, request, view);
  if (!view.rollout.revert && view.failures.length >= view.rollout.maxFailuresCount) {
    const failed = view.failures.map((f) => `${f.instanceId} (${f.error})`).join('; ');
    throw new DeployError('ROLLOUT_FAILED', `${request.version} failed on ${view.failures.length} instance(s), the budget of --max-failures ${view.rollout.maxFailures}; not reverted (--no-revert): ${failed}`);
  }
  if (view.stage === 'done') {
    return view.reports.filter((r) => view.instances.some((i) => i.instanceId === r.instanceId && i.state === 'live'));
  }
  return undefined;
}

/** A report gone stale while deploying the version: its agent died mid-deploy; count it, and revert when that spends the budget. */
async function countStale(store: ReleaseStore, request: FollowRequest, view: RolloutView): Promise<void> {
  const failed = new Set(view.failures.map((f) => f.instanceId));
  for (const report of view.reports) {
    if (!report.stale || failed.has(report.instanceId)) continue;
    if (report.state === 'idle' || report.state === STOPPED_STATE || report.desired !== request.version) continue;
    const error = `stopped reporting during ${report.state} of ${request.version} (last report ${formatAge(report.ageMs)} ago, --stale-after ${formatDuration(request.staleAfterMs)})`;
    request.progress.write(`counting ${report.instanceId} as failed: ${error}\n`);
    const index = await recordFailure(store.docs, view.rollout.id, { instanceId: report.instanceId, version: request.version, error, at: new Date().toISOString() });
    if (index + 1 >= view.rollout.maxFailuresCount && view.rollout.revert) {
      await revertDesired(store, view.desired, `${index + 1} instance(s) failed ${request.version} (--max-failures ${view.rollout.maxFailures}); last: ${report.instanceId}: ${error}`, request.by);
    }
  }
}
