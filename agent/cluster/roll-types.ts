import type { StartFailureReason } from './managed-worker';
import type { WorkerExit } from './worker-host';

/**
 * Where a roll failed: a new worker did not start, `127.0.0.1:<app.port>` did
 * not answer once the workers were in, or a new worker died before the roll was stable.
 */
export type RollStep = 'start' | 'serving' | 'stability';

export interface RollFailure {
  readonly step: RollStep;
  readonly slot: number;
  readonly version: string;
  /** 'exit': died; 'timeout': not ready within startTimeoutMs; 'fork': could not be forked; 'not-serving': ready, then not serving at swap-in (or the port did not answer). */
  readonly reason: StartFailureReason;
  readonly message: string;
  readonly exit: WorkerExit | undefined;
  /** Last lines the failed worker wrote to stderr. */
  readonly stderr: readonly string[];
}

export interface RollResult {
  readonly ok: boolean;
  readonly version: string;
  readonly previousVersion: string;
  /** From the first fork until the last old worker was retired (null when it never got there). */
  readonly rollMs: number | null;
  /** The whole roll, stability wait and any rollback included. */
  readonly durationMs: number;
  readonly failure?: RollFailure;
  /** True when slots had been replaced and run the previous release again (false when none was replaced). */
  readonly rolledBack: boolean;
  readonly rollbackFailure?: RollFailure;
}

/** What the supervisor reports to its owner (logs, metrics, status). */
export type SupervisorEvent =
  | { readonly type: 'worker-ready'; readonly slot: number; readonly version: string; readonly pid: number | undefined }
  | {
      readonly type: 'worker-crashed';
      readonly slot: number;
      readonly version: string;
      readonly pid: number | undefined;
      readonly exit: WorkerExit;
      readonly error: string | undefined;
      readonly restartInMs: number | null;
    }
  | { readonly type: 'crash-loop'; readonly slot: number; readonly version: string; readonly crashes: number }
  /** A slot left empty (a failed rollback, a fork that threw) is started again on `version` after `restartInMs`. */
  | { readonly type: 'slot-restarting'; readonly slot: number; readonly version: string; readonly restartInMs: number; readonly reason: string }
  | { readonly type: 'roll-failed'; readonly failure: RollFailure };
