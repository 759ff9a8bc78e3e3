import { availableParallelism } from 'node:os';
import { definedOnly } from '../config/defined-only';
import { DeployError } from '../errors';
import type { SchedulingPolicy } from './cluster-host';

/** When a new worker counts as ready to take traffic. */
export type Readiness = 'listening' | 'message';

/**
 * Everything the supervisor can be told. Every field is optional; the
 * defaults below are the ones `resolveSupervisorOptions` applies.
 */
export interface SupervisorOptions {
  /** Entry file, relative to the release directory. @default 'server.js' */
  readonly entry?: string;
  /** Port the app listens on; passed to workers as `PORT`. */
  readonly port: number;
  /** Number of workers, or 'auto' for `os.availableParallelism()`. 1-256. @default 'auto' */
  readonly workers?: number | 'auto';
  /** Extra environment for workers (on top of the agent's own). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Command-line arguments of every worker; never the agent's own. @default [] */
  readonly args?: readonly string[];
  /** `listening`: ready once it listens on `port`; `message`: once it calls `process.send('ready')`. @default 'listening' */
  readonly readiness?: Readiness;
  /** How long a new worker may take to become ready. @default 30000 */
  readonly startTimeoutMs?: number;
  /** How long a retired worker may take to exit before it is killed. @default 30000 */
  readonly shutdownTimeoutMs?: number;
  /** How many new workers start at once during a roll (1 = one at a time; = workers: all at once). @default 1 */
  readonly maxSurge?: number;
  /** Inject the drain preload (keep-alive draining, WebSocket close frames, graceful crash). @default true */
  readonly drainPreload?: boolean;
  /**
   * Idle keep-alive sockets of a draining worker are closed after this much idle time, and a retired
   * worker's not before the keep-alive timeout its server announced (a client may reuse them until then).
   * @default 1000
   */
  readonly idleGraceMs?: number;
  /** Old workers' WebSockets are closed with 1012, spread over this window, once the roll is over. @default 2000 */
  readonly wsCloseWindowMs?: number;
  /** After a roll, new workers must stay up this long or the roll is undone. @default 1000 */
  readonly stableMs?: number;
  /** How the primary distributes connections. @default 'rr' */
  readonly schedulingPolicy?: SchedulingPolicy;
  /** First restart delay after a crash; doubles per crash. @default 100 */
  readonly restartBackoffInitialMs?: number;
  /** Ceiling of the restart delay. @default 30000 */
  readonly restartBackoffMaxMs?: number;
  /** A worker up this long resets its slot's backoff. @default 60000 */
  readonly restartResetAfterMs?: number;
  /** This many crashes of one slot within `crashLoopWindowMs` stop its restarts. @default 5 */
  readonly crashLoopCount?: number;
  /** @default 60000 */
  readonly crashLoopWindowMs?: number;
  /** Lines of a worker's stderr kept for failure reports. @default 20 */
  readonly stderrTailLines?: number;
  /** After a start or roll, `127.0.0.1:<port>` must accept a connection within this. @default 3000 */
  readonly probeTimeoutMs?: number;
}

export type ResolvedSupervisorOptions = Readonly<Required<Omit<SupervisorOptions, 'workers'>> & { workers: number }>;

export const supervisorDefaults = {
  entry: 'server.js',
  workers: 'auto',
  env: {},
  args: [],
  readiness: 'listening',
  startTimeoutMs: 30_000,
  shutdownTimeoutMs: 30_000,
  maxSurge: 1,
  drainPreload: true,
  idleGraceMs: 1_000,
  wsCloseWindowMs: 2_000,
  stableMs: 1_000,
  schedulingPolicy: 'rr',
  restartBackoffInitialMs: 100,
  restartBackoffMaxMs: 30_000,
  restartResetAfterMs: 60_000,
  crashLoopCount: 5,
  crashLoopWindowMs: 60_000,
  stderrTailLines: 20,
  probeTimeoutMs: 3_000,
} as const satisfies Omit<Required<SupervisorOptions>, 'port'>;

export function resolveSupervisorOptions(options: SupervisorOptions): ResolvedSupervisorOptions {
  const merged = { ...supervisorDefaults, ...definedOnly(options) };
  const workers = merged.workers === 'auto' ? availableParallelism() : merged.workers;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new DeployError('INVALID_OPTIONS', `workers must be 'auto' or a whole number from 1 to 256, got ${String(merged.workers)}`);
  }
  const maxSurge = Math.min(Math.max(1, merged.maxSurge), workers);
  return Object.freeze({ ...merged, env: Object.freeze({ ...merged.env }), args: Object.freeze([...merged.args]), port: options.port, workers, maxSurge });
}
