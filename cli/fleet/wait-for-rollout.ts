import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError, describeError } from '../../agent/errors';
import type { ReleaseStore } from '../../agent/store/release-store';
import { formatDuration } from '../args/duration';
import { readFleet, type InstanceView } from './fleet';
import { describeFailure, describePending, judgeRollout, rolloutBaseline, type RolloutBaseline, type RolloutVerdict } from './rollout-check';
import type { WaitOptions } from './wait-options';

export interface WaitRequest {
  readonly version: string;
  readonly timeoutMs: number;
  readonly staleAfterMs: number;
  /** The reports' last deploys from before the flip (rolloutBaseline). */
  readonly baseline: RolloutBaseline;
  /** How often the reports are read. @default 1000 */
  readonly pollMs?: number;
  /** Where a line goes whenever what is awaited changes (stderr). */
  readonly progress: NodeJS.WritableStream;
}

/**
 * `--wait`: reads the instance reports every second until every live instance
 * runs `version` healthy (returns them), or fails with a one-line reason: an
 * instance failed or rolled back the version, desired.json moved on, or the
 * timeout passed (naming what it still waited for). No live instance at all
 * means waiting until the timeout: agents may still be starting.
 */
export async function waitForRollout(store: ReleaseStore, request: WaitRequest): Promise<readonly InstanceView[]> {
  const { version, timeoutMs, progress } = request;
  const deadline = Date.now() + timeoutMs;
  progress.write(`waiting up to ${formatDuration(timeoutMs)} for every live instance to run ${version}\n`);
  let said = '';
  for (;;) {
    let waitingFor: string;
    try {
      const verdict = await check(store, request);
      if (verdict.kind === 'converged') return verdict.instances;
      waitingFor = verdict.pending.map(describePending).join(', ');
    } catch (error) {
      if (error instanceof DeployError && error.code.startsWith('ROLLOUT_')) throw error;
      // A store hiccup is not an answer: say so and read again.
      waitingFor = `the store (${describeError(error)})`;
    }
    const line = waitingFor === '' ? 'no live instance reports yet' : `waiting for: ${waitingFor}`;
    if (line !== said) progress.write(`${line}\n`);
    said = line;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut(timeoutMs, waitingFor, request.staleAfterMs, store.url);
    await sleep(Math.min(request.pollMs ?? 1_000, remaining));
  }
}

/** One look at the store; throws ROLLOUT_FAILED or ROLLOUT_SUPERSEDED when waiting has no point any more. */
async function check(store: ReleaseStore, request: WaitRequest): Promise<Exclude<RolloutVerdict, { kind: 'failed' }>> {
  const { version } = request;
  const fleet = await readFleet(store, request.staleAfterMs);
  const now = fleet.desired?.value.version;
  if (now !== undefined && now !== version) {
    throw new DeployError('ROLLOUT_SUPERSEDED', `stopped waiting: desired.json now names ${now}, not ${version} (another push or rollback)`);
  }
  const verdict = judgeRollout(version, fleet.instances, request.baseline);
  if (verdict.kind !== 'failed') return verdict;
  const n = verdict.failed.length;
  throw new DeployError('ROLLOUT_FAILED', `${version} failed on ${n} instance${n === 1 ? '' : 's'}: ${verdict.failed.map(describeFailure).join('; ')}`);
}

function timedOut(timeoutMs: number, waitingFor: string, staleAfterMs: number, url: string): DeployError {
  const after = `timed out after ${formatDuration(timeoutMs)}`;
  if (waitingFor !== '') return new DeployError('ROLLOUT_TIMEOUT', `${after} waiting for: ${waitingFor}`);
  return new DeployError(
    'ROLLOUT_TIMEOUT',
    `${after}: no live instance reported (no report in instances/ newer than ${formatDuration(staleAfterMs)}); is deploy-agent running on ${url}?`,
  );
}

/**
 * `--wait` of a command that flips desired.json: call BEFORE the flip (it
 * reads the reports' baseline now); the function it returns waits after it.
 */
export async function prepareWait(
  store: ReleaseStore,
  options: WaitOptions,
  progress: NodeJS.WritableStream,
): Promise<(version: string) => Promise<readonly InstanceView[]>> {
  const baseline = rolloutBaseline(await store.listInstanceStatuses());
  return (version) => waitForRollout(store, { version, ...options, baseline, progress });
}

/** `v42 is live on 2 instances: i-1, i-2` (the text after a successful wait). */
export function liveLine(version: string, instances: readonly InstanceView[]): string {
  const n = instances.length;
  return `${version} is live on ${n} instance${n === 1 ? '' : 's'}: ${instances.map((i) => i.instanceId).join(', ')}`;
}
