/**
 * What an idle agent costs in S3 requests, from its two timers: it GETs
 * desired.json every `pollIntervalMs` (a conditional GET answered 304 is
 * billed as a GET) and PUTs its report every `heartbeatMs` when nothing
 * changes. Nothing else touches the store while idle (the fleet benchmark
 * counts the requests to check this). Used by the README's cost table
 * (`npm run docs:config`), the unit test that holds the defaults to the
 * budget, and `npm run bench:fleet`.
 */

/** S3 Standard list prices, USD per request (us-east-1): GET/HEAD, and PUT/POST/LIST. */
export const S3_PRICE_USD = { get: 0.0004 / 1000, put: 0.005 / 1000 } as const;

/** What an idle instance may cost per day in S3 requests (issue #13). */
export const IDLE_COST_BUDGET_USD_PER_DAY = 0.005;

/** A new push must be picked up (the agent starts fetching) within this, at the median. */
export const PICKUP_P50_TARGET_MS = 10_000;

export const DAY_MS = 86_400_000;

export interface AgentTimers {
  readonly pollIntervalMs: number;
  readonly heartbeatMs: number;
}

export interface IdleRequestCost {
  readonly getsPerDay: number;
  readonly putsPerDay: number;
  readonly usdPerDay: number;
}

/** Requests per day of one idle agent, and what they cost at list prices. */
export function idleRequestCost(timers: AgentTimers): IdleRequestCost {
  const getsPerDay = DAY_MS / timers.pollIntervalMs;
  const putsPerDay = DAY_MS / timers.heartbeatMs;
  return { getsPerDay, putsPerDay, usdPerDay: requestCostUsd({ gets: getsPerDay, puts: putsPerDay }) };
}

/** The price of a number of GET-class and PUT-class requests. */
export function requestCostUsd(counts: { readonly gets: number; readonly puts: number }): number {
  return counts.gets * S3_PRICE_USD.get + counts.puts * S3_PRICE_USD.put;
}

/**
 * The median time from a push to the agent's next read of desired.json. The
 * poll period is jittered uniformly by ±20 %, so the wait from a random moment
 * to the next poll is below r with probability r/P for any r ≤ 0.8·P: the
 * median is exactly half the interval. (Fetching starts right after that read.)
 */
export function pickupP50Ms(pollIntervalMs: number): number {
  return pollIntervalMs / 2;
}
