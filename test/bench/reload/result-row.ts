import type { ScenarioName, ToolName } from './bench-config';
import type { RunResult } from './run-once';
import { mean, median, round, sum } from './stats-math';

/** One line of the results: a tool variant on a scenario and a worker count, over all its runs. */
export interface ResultRow {
  readonly tool: ToolName;
  readonly scenario: ScenarioName;
  readonly workers: number;
  readonly maxSurge: number;
  readonly runs: number;
  /** Median over the runs whose roll completed; null when none did. */
  readonly rollMs: number | null;
  /** Summed over runs. */
  readonly failedRequests: number;
  /** Summed over runs. */
  readonly abnormalWsCloses: number;
  /** Max over runs. */
  readonly p99Ms: number;
  /** Peak over runs. */
  readonly rssMb: number;
  /** Mean over runs, 2 decimals. */
  readonly wsClosesPerClient: number;
}

export interface RowKey {
  readonly tool: ToolName;
  readonly scenario: ScenarioName;
  readonly workers: number;
  readonly maxSurge: number;
}

export function aggregateRuns(key: RowKey, runs: readonly RunResult[]): ResultRow {
  const completed = runs.flatMap((r) => (r.rollMs === null ? [] : [r.rollMs]));
  const rollMs = median(completed);
  return {
    ...key,
    runs: runs.length,
    rollMs: rollMs === null ? null : Math.round(rollMs),
    failedRequests: sum(runs.map((r) => r.report.failedRequests)),
    abnormalWsCloses: sum(runs.map((r) => r.report.abnormalWsCloses)),
    p99Ms: round(Math.max(0, ...runs.map((r) => r.report.latencyP99Ms)), 2),
    rssMb: round(Math.max(0, ...runs.map((r) => r.rssMb)), 1),
    wsClosesPerClient: round(mean(runs.map((r) => r.report.wsClosesPerClient)), 2),
  };
}
