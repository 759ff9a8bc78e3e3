import type { Release } from '../cluster/managed-worker';
import type { Supervisor } from '../cluster/supervisor';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { DeployState } from './deploy-state';
import { rollFailed } from './roll-failed';

export interface RollingDeps {
  readonly supervisor: Supervisor;
  readonly log: Logger;
  /** Moves the deploy's state machine (state.json, status report). */
  readonly step: (next: DeployState) => Promise<void>;
  /** The app's health check (app.healthCheck); throws when it fails. */
  readonly validate: () => Promise<void>;
}

/**
 * A rolling deploy (DESIGN §2), from an unpacked release to validated:
 * replace the workers in place (or start them, when nothing runs yet), check,
 * and roll back to `previous` when the check fails (the error is rethrown for
 * the deployer to record).
 */
export async function deployRolling(deps: RollingDeps, release: Release, previous: Release | undefined): Promise<void> {
  const { supervisor, log } = deps;
  await deps.step('rolling');
  if (supervisor.running) {
    const result = await supervisor.roll(release);
    if (!result.ok) throw rollFailed(result);
    log.info({ step: 'rolling', rollMs: result.rollMs }, `workers replaced with ${release.version}`);
  } else {
    await supervisor.start(release);
    log.info({ step: 'rolling' }, `workers started on ${release.version}`);
  }
  await deps.step('validating');
  try {
    await deps.validate();
  } catch (error) {
    if (previous) {
      await deps.step('rolling-back');
      log.warn({ step: 'rolling-back', err: describeError(error) }, `health check failed; rolling back to ${previous.version}`);
      const back = await supervisor.roll(previous);
      if (!back.ok) log.error({ step: 'rolling-back', err: back.failure?.message }, `rollback to ${previous.version} failed too`);
    }
    throw error;
  }
}
