import type { Release } from '../cluster/managed-worker';
import type { Supervisor } from '../cluster/supervisor';
import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { AgentState } from './agent-state';
import type { ReleaseDirs } from './release-dirs';

export interface CommitDeps {
  readonly dirs: ReleaseDirs;
  /** Only its roll (back to `before`) is used. */
  readonly supervisor: Pick<Supervisor, 'roll'>;
  readonly log: Logger;
  /** Moves the deploy to `rolling-back` (called before anything is undone). */
  readonly rollingBack: () => Promise<void>;
  /**
   * The first release could not be named by `current`: takes the instance
   * out of service if it is in, and stops every worker (Supervisor.stopWorkers).
   */
  readonly standDown: () => Promise<void>;
}

export interface CommitPlan {
  /** The release the workers now run, validated (and registered, for service-out). */
  readonly release: Release;
  /** What ran before, still on disk; undefined on the first deploy. */
  readonly before: Release | undefined;
  /** state.json once the release is live: `current` is `release.version`, step idle. */
  readonly next: AgentState;
}

/** How a commit ended: `committed` (both written), or `kept` (only `current` written: see below). */
export type CommitOutcome = 'committed' | 'kept';

/**
 * The last step of a deploy (DESIGN §2): makes the release the workers run
 * the instance's own on disk, `current` first, then state.json. The rule is
 * that the workers run what `current` names, since that is what a restart
 * serves (state.json's `current` is set from the symlink at start):
 *
 * - `current` cannot be switched (CURRENT_SWITCH_FAILED): the workers roll back
 *   to `before`, which `current` still names, and the error is thrown.
 * - state.json cannot be written (STATE_WRITE_FAILED): `current` is pointed back
 *   at `before` and the workers roll back, so the state.json already on disk
 *   (written at every step, with `current` still `before`) is true again.
 * - If `current` cannot be pointed back, or the workers cannot roll back, the
 *   new release stays, with `current` naming it (`kept`): state.json is stale
 *   until its next write, and a restart serves what ran. Only when `current`
 *   cannot name the new release either (the workers run it, `current` names
 *   `before`) is the error thrown: the deploy is reported failed while the new
 *   release runs, which is the truth.
 *
 * The first deploy has nothing to go back to. When `current` names it already
 * (only state.json failed) it stays (`kept`, as above); when `current` could
 * not be made, nothing would serve it after a restart, so its workers are
 * stopped (`standDown`) and the error is thrown: nothing runs, as before.
 */
export async function commitRelease(deps: CommitDeps, plan: CommitPlan): Promise<CommitOutcome> {
  const { dirs } = deps;
  const { version } = plan.release;
  let switched = false;
  try {
    await dirs.switchCurrent(version).catch((error: unknown) => {
      throw new DeployError('CURRENT_SWITCH_FAILED', `cannot point ${dirs.currentLink} at ${version}: ${describeError(error)}; free disk space under ${dirs.root}`, { cause: error });
    });
    switched = true;
    await dirs.writeState(plan.next).catch((error: unknown) => {
      throw new DeployError('STATE_WRITE_FAILED', `cannot write ${dirs.stateFile} for ${version}: ${describeError(error)}; free disk space under ${dirs.root}`, { cause: error });
    });
    return 'committed';
  } catch (error) {
    if (plan.before === undefined) return firstRelease(deps, plan, switched, error);
    await deps.rollingBack();
    if (await undo(deps, plan, plan.before, switched, error)) throw error;
    return 'kept';
  }
}

/** The first release here could not be committed: kept when `current` names it, else its workers stop and the error is thrown. */
async function firstRelease(deps: CommitDeps, plan: CommitPlan, switched: boolean, error: unknown): Promise<CommitOutcome> {
  const { version } = plan.release;
  const err = describeError(error);
  if (switched) {
    deps.log.error({ version, err }, `${err}; ${version} is the first release here and current names it, so it stays (state.json is stale until its next write)`);
    return 'kept';
  }
  await deps.rollingBack();
  deps.log.error({ step: 'rolling-back', version, err }, `${err}; ${version} is the first release here and current cannot name it, so a restart would serve nothing: stopping its workers`);
  await deps.standDown();
  throw error;
}

/** Puts `current` and the workers back on `before`; false when the new release had to stay (then `current` names it). */
async function undo(deps: CommitDeps, plan: CommitPlan, before: Release, switched: boolean, error: unknown): Promise<boolean> {
  const { supervisor, log } = deps;
  const { version } = plan.release;
  log.warn({ step: 'rolling-back', version, err: describeError(error) }, `cannot make ${version} this instance's release on disk; going back to ${before.version}`);
  if (switched && !(await pointCurrentAt(deps, before.version))) {
    log.error({ step: 'rolling-back', version }, `${version} stays: current names it (state.json is stale until its next write)`);
    return false;
  }
  const back = await supervisor.roll(before);
  if (back.ok) return true;
  // The workers went back to the new release: `current` follows them, if it can.
  log.error({ step: 'rolling-back', version, err: back.failure?.message }, `rollback to ${before.version} failed; ${version} stays`);
  if (await pointCurrentAt(deps, version)) return false;
  log.error({ step: 'rolling-back', version }, `${version} runs but current still names ${before.version}, which a restart would serve; free disk space under ${deps.dirs.root} and deploy again`);
  return true;
}

async function pointCurrentAt(deps: CommitDeps, version: string): Promise<boolean> {
  try {
    await deps.dirs.switchCurrent(version);
    return true;
  } catch (error) {
    deps.log.error({ step: 'rolling-back', err: describeError(error) }, `cannot point ${deps.dirs.currentLink} at ${version}: ${describeError(error)}`);
    return false;
  }
}
