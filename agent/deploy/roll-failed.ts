import type { RollResult } from '../cluster/roll-types';
import { DeployError } from '../errors';

/** A failed roll as the deploy's error: what failed, the app's last stderr lines, and what serves now. */
export function rollFailed(result: RollResult): DeployError {
  const failure = result.failure;
  // The lines that say something, not the stack frames under them.
  const said = (failure?.stderr ?? []).filter((line) => !/^\s+at /.test(line)).slice(-3);
  const tail = said.length > 0 ? ` (stderr: ${said.join(' | ')})` : '';
  const back = result.rollbackFailure
    ? `; rollback to ${result.previousVersion} failed too: ${result.rollbackFailure.message}`
    : result.rolledBack
      ? `; rolled back to ${result.previousVersion}`
      : `; ${result.previousVersion} kept serving`;
  return new DeployError('ROLL_FAILED', `roll to ${result.version} failed at ${failure?.step ?? 'start'}: ${failure?.message ?? 'unknown'}${tail}${back}`);
}
