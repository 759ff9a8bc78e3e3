import { WorkerStartError } from './managed-worker';
import type { RollFailure, RollStep } from './roll-types';

/** What a roll reports for a worker that failed at `step` in `slot`. */
export function rollFailure(error: unknown, step: RollStep, slot: number): RollFailure {
  if (error instanceof WorkerStartError) {
    return { step, slot, version: error.version, reason: error.reason, message: error.message, exit: error.exit, stderr: error.stderr };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { step, slot, version: '', reason: 'exit', message, exit: undefined, stderr: [] };
}
