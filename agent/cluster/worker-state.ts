/**
 * The life of one worker as the primary sees it, after node's own cluster
 * states (`none → online → listening → disconnected → dead`), with `ready`
 * (the app said so, or it listens) and `draining` (told to shut down) added.
 *
 *   none ─► online ─► listening ─► ready ─► draining ─► disconnected ─► dead
 *
 * Every live state can reach `dead` (a crash) and `disconnected` (the worker
 * disconnected itself, e.g. after an uncaught exception). Events are named
 * after the state they reach.
 */
export type WorkerState = 'none' | 'online' | 'listening' | 'ready' | 'draining' | 'disconnected' | 'dead';

const allowed: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  none: ['online', 'draining', 'disconnected', 'dead'],
  online: ['listening', 'ready', 'draining', 'disconnected', 'dead'],
  listening: ['ready', 'draining', 'disconnected', 'dead'],
  ready: ['draining', 'disconnected', 'dead'],
  draining: ['disconnected', 'dead'],
  disconnected: ['dead'],
  dead: [],
};

export class IllegalTransitionError extends Error {
  readonly code = 'WORKER_ILLEGAL_TRANSITION';
  constructor(readonly from: WorkerState, readonly to: WorkerState) {
    super(`worker cannot go from '${from}' to '${to}'`);
  }
}

/** The one transition function: returns the next state or throws. */
export function transition(from: WorkerState, to: WorkerState): WorkerState {
  if (!allowed[from].includes(to)) throw new IllegalTransitionError(from, to);
  return to;
}

/** True once the worker can no longer take new work. */
export function isLeaving(state: WorkerState): boolean {
  return state === 'draining' || state === 'disconnected' || state === 'dead';
}
