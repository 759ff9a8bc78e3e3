import type { FixtureMode } from '../../support/fixture-releases';

/** What the issue fixes for every run: the fixture app, the load, the supervisor's timings. */
export const BOOT_MS = 300;
export const REQUEST_MS = 20;

export const LOAD = { keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 50 } as const;

/** deployctl's options (startTimeoutMs = pm2's default listen_timeout, so never-listens compares). */
export const DEPLOYCTL_TIMINGS = {
  startTimeoutMs: 3000,
  shutdownTimeoutMs: 5000,
  wsCloseWindowMs: 1000,
  stableMs: 1000,
} as const;

/** Given to pm2's app too, for the websocket-drain helper's close window. */
export const WS_CLOSE_WINDOW_MS = DEPLOYCTL_TIMINGS.wsCloseWindowMs;

/** After the roll: wait this long at most for every WebSocket client to report v2. */
export const SETTLE_MS = 6000;
/** Before the roll: wait this long at most for the load to see v1 on HTTP and every WebSocket. */
export const WARM_UP_TIMEOUT_MS = 20_000;
/** Fork → listening samples taken for forkToListeningMs. */
export const FORK_PROBE_SAMPLES = 5;

export type ScenarioName = 'graceful' | 'unmodified' | 'never-listens';
export type ToolName = 'deployctl' | 'pm2';

export interface Scenario {
  readonly name: ScenarioName;
  /** Fixture mode of v1. */
  readonly oldMode: FixtureMode;
  /** Fixture mode of v2. */
  readonly newMode: FixtureMode;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'graceful', oldMode: 'graceful', newMode: 'graceful' },
  { name: 'unmodified', oldMode: 'unmodified', newMode: 'unmodified' },
  { name: 'never-listens', oldMode: 'graceful', newMode: 'never-listen' },
];

export interface BenchSettings {
  readonly runs: number;
  readonly workers: readonly number[];
}

/** BENCH_RUNS (default 3) and BENCH_WORKERS (default "2,4"). */
export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const runsText = env['BENCH_RUNS'] ?? '3';
  const runs = Number(runsText);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    throw new Error(`BENCH_RUNS must be an integer 1-100, got ${JSON.stringify(runsText)}`);
  }
  const workersText = env['BENCH_WORKERS'] ?? '2,4';
  const workers = workersText.split(',').map((part) => Number(part.trim()));
  if (workers.length === 0 || workers.some((w) => !Number.isInteger(w) || w < 1 || w > 64)) {
    throw new Error(`BENCH_WORKERS must be a comma-separated list of integers 1-64, got ${JSON.stringify(workersText)}`);
  }
  return { runs, workers: [...new Set(workers)] };
}
