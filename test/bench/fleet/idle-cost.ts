import { agentDefaults } from '../../../agent/config/defaults';
import { DAY_MS, requestCostUsd, type AgentTimers } from '../../../agent/status/request-cost';
import { billedTotals, countRequests, type RequestCount } from '../../support/s3-request-counts';
import type { S3Fleet } from './s3-fleet';

export interface IdleCostOptions {
  /** Minutes of the agents' own (shortened) clock to count over. */
  readonly minutes: number;
  /** The default timers are divided by this; the wall time is minutes / scale. */
  readonly scale: number;
  /** Already pushed: the agents deploy it, then sit idle on it. */
  readonly version: string;
}

export interface IdleCostResult {
  readonly minutes: number;
  readonly scale: number;
  /** The timers the agents ran with (the defaults / scale). */
  readonly timers: AgentTimers;
  /** Wall time counted. */
  readonly wallMs: number;
  /** Every request the fleet made in that time, per operation and key prefix. */
  readonly counts: readonly RequestCount[];
  /** Per instance over `minutes` of its clock. */
  readonly getsPerInstance: number;
  readonly putsPerInstance: number;
  /** Those requests at list prices, per instance and day of its clock. */
  readonly usdPerInstanceDay: number;
}

/** The default timers on a clock running `scale` times fast (within the schema's minimums). */
export function scaledTimers(scale: number): AgentTimers {
  const timers = { pollIntervalMs: agentDefaults.pollIntervalMs / scale, heartbeatMs: agentDefaults.heartbeatMs / scale };
  if (!Number.isInteger(timers.pollIntervalMs) || !Number.isInteger(timers.heartbeatMs) || timers.pollIntervalMs < 100 || timers.heartbeatMs < 1000) {
    throw new Error(`a clock ${scale} times fast gives timers ${JSON.stringify(timers)}: they must be whole ms, poll >= 100, heartbeat >= 1000`);
  }
  return timers;
}

/**
 * Part (c): starts the fleet's agents with the default timers divided by
 * `scale`, lets them deploy `version` and settle, then counts on the S3 test
 * server every request they make over `minutes` of their clock (minutes × 60 s
 * / scale of wall time). Stops the agents again.
 */
export async function measureIdleCost(fleet: S3Fleet, options: IdleCostOptions): Promise<IdleCostResult> {
  const timers = scaledTimers(options.scale);
  await fleet.startAgents(timers, options.version, timers.pollIntervalMs / fleet.agents.length);
  // Their last deploy step's report is written; a poll later they are idle.
  await sleep(2 * timers.pollIntervalMs);
  const wallMs = (options.minutes * 60_000) / options.scale;
  const since = Date.now();
  await sleep(wallMs);
  const until = Date.now();
  await fleet.stopAgents();
  const counts = countRequests(fleet.s3.requests, { bucket: fleet.bucket, storePrefix: fleet.storePrefix, since, until });
  const billed = billedTotals(counts);
  const instances = fleet.agents.length;
  const perInstance = { gets: billed.gets / instances, puts: billed.puts / instances };
  const measuredClockMs = (until - since) * options.scale;
  return {
    minutes: options.minutes,
    scale: options.scale,
    timers,
    wallMs: until - since,
    counts,
    getsPerInstance: perInstance.gets,
    putsPerInstance: perInstance.puts,
    usdPerInstanceDay: requestCostUsd(perInstance) * (DAY_MS / measuredClockMs),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
