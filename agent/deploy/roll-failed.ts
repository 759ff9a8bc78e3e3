import { stderrSummary } from '../cluster/stderr-tail';
import type { RollResult } from '../cluster/roll-types';
import { DeployError } from '../errors';

/** A failed roll as the deploy's error: what failed, the app's last stderr lines, and what serves now. */
export function rollFailed(result: RollResult): DeployError {
  const failure = result.failure;
  const tail = stderrSummary(failure?.stderr ?? []);
  const back = result.rollbackFailure
    ? `; rollback to ${result.previousVersion} failed too: ${result.rollbackFailure.message}`
    : result.rolledBack
      ? `; rolled back to ${result.previousVersion}`
      : `; ${result.previousVersion} kept serving`;
  return new DeployError('ROLL_FAILED', `roll to ${result.version} failed at ${failure?.step ?? 'start'}: ${failure?.message ?? 'unknown'}${tail}${back}`);
}
