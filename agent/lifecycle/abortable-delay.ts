import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError } from '../errors';

/** The error every wait throws when its AbortSignal fires (the agent is stopping). */
export function abortedError(what: string): DeployError {
  return new DeployError('ABORTED', `stopped ${what}: the agent is stopping`);
}

/** Waits `ms`; rejects with ABORTED (naming `what`) as soon as `signal` fires. */
export async function abortableDelay(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) throw abortedError(what);
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw abortedError(what);
    throw error;
  }
}
