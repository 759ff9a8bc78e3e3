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

export type ScenarioName = 'graceful' | 'unmodified' | 'never-listens' | 'sigint-graceful' | 'wait-ready' | 'shutdown-message';
export type ToolName = 'deployctl' | 'pm2';

/** pm2 settings a careful pm2 user adds (flags of `pm2 start`); pm2's defaults where absent. */
export interface Pm2Settings {
  /** `--wait-ready`: a new worker counts once it sends process.send('ready'), not at 'listening'. */
  readonly waitReady?: boolean;
  /** `--kill-timeout`: SIGKILL follows the kill signal after this long (pm2's default: 1600 ms). */
  readonly killTimeoutMs?: number;
  /** `--shutdown-with-message`: old workers get process.send('shutdown') instead of SIGINT. */
  readonly shutdownWithMessage?: boolean;
}

export interface Scenario {
  readonly name: ScenarioName;
  /** Fixture mode of v1. */
  readonly oldMode: FixtureMode;
  /** Fixture mode of v2. */
  readonly newMode: FixtureMode;
  /** Only this tool runs the scenario (pm2's own graceful set-ups); every tool when absent. */
  readonly only?: ToolName;
  readonly pm2?: Pm2Settings;
}

export const SCENARIOS: readonly Scenario[] = [
  // The app waits for 'shutdown' (deployctl's word; pm2 sends it only with shutdown_with_message).
  { name: 'graceful', oldMode: 'graceful', newMode: 'graceful' },
  { name: 'unmodified', oldMode: 'unmodified', newMode: 'unmodified' },
  { name: 'never-listens', oldMode: 'graceful', newMode: 'never-listen' },
  // pm2 at its best, as its docs ask: the app closes its server and WebSockets on SIGINT (pm2's kill signal).
  { name: 'sigint-graceful', oldMode: 'sigint-graceful', newMode: 'sigint-graceful', only: 'pm2' },
  // ... and says process.send('ready') once it listens, with wait_ready and deployctl's shutdown timeout as kill_timeout.
  {
    name: 'wait-ready',
    oldMode: 'sigint-ready',
    newMode: 'sigint-ready',
    only: 'pm2',
    pm2: { waitReady: true, killTimeoutMs: DEPLOYCTL_TIMINGS.shutdownTimeoutMs },
  },
  // The 'shutdown'-message app of 'graceful', with pm2 told to send that message (and the same kill_timeout).
  {
    name: 'shutdown-message',
    oldMode: 'graceful',
    newMode: 'graceful',
    only: 'pm2',
    pm2: { shutdownWithMessage: true, killTimeoutMs: DEPLOYCTL_TIMINGS.shutdownTimeoutMs },
  },
];

export interface BenchSettings {
  readonly runs: number;
  readonly workers: readonly number[];
  readonly scenarios: readonly Scenario[];
}

/** BENCH_RUNS (default 3), BENCH_WORKERS (default "2,4") and BENCH_SCENARIOS (default: all, e.g. "graceful,wait-ready"). */
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
  const scenariosText = env['BENCH_SCENARIOS'];
  const names = scenariosText === undefined ? SCENARIOS.map((s) => s.name) : scenariosText.split(',').map((part) => part.trim());
  const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`BENCH_SCENARIOS must be a comma-separated list of ${SCENARIOS.map((s) => s.name).join(', ')}; got ${JSON.stringify(scenariosText)}`);
  }
  return { runs, workers: [...new Set(workers)], scenarios: SCENARIOS.filter((s) => names.includes(s.name)) };
}
