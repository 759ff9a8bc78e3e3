/**
 * Where the supervisor is in its life. Crashed workers are restarted only
 * while `running`: a worker that dies while `starting` fails the start (no
 * restart timer outlives a failed start), and nothing is forked once `stopping`.
 *
 *   idle ─► starting ─► running ─► stopping ─► stopped
 *    ▲         │           │          ▲
 *    ├─────────┘           │          └── from idle or starting too (stop() at any time)
 *    │ (start failed)      │
 *    └─────────────────────┘ (stopWorkers: the first release could not be committed)
 *
 * Events are named after the state reached.
 */
export type SupervisorPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

const allowed: Readonly<Record<SupervisorPhase, readonly SupervisorPhase[]>> = {
  idle: ['starting', 'stopping'],
  starting: ['running', 'idle', 'stopping'],
  running: ['idle', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** The one transition function: the next phase, or a throw for an illegal move. */
export function nextPhase(from: SupervisorPhase, to: SupervisorPhase): SupervisorPhase {
  if (!allowed[from].includes(to)) throw new Error(`supervisor cannot go from '${from}' to '${to}'`);
  return to;
}

/** True once stop() was called: nothing more is forked. */
export function isShuttingDown(phase: SupervisorPhase): boolean {
  return phase === 'stopping' || phase === 'stopped';
}
