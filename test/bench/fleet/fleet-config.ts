/** The numbers `npm run bench:fleet` runs with (issue #13, item 5). */

/** deploy-agent processes on the S3 test server. */
export const FLEET_AGENTS = 8;

/**
 * The idle measurement: 10 minutes of the agents' own clock. Their timers
 * (pollIntervalMs, heartbeatMs) are the defaults divided by this, so the 10
 * minutes pass in 600 s / FLEET_IDLE_SCALE of wall time; the counts are those
 * of 10 real minutes with the default timers.
 */
export const FLEET_IDLE_MINUTES = 10;
export const FLEET_IDLE_SCALE = 20;

/** Pushes of a good release, no policy, each measured for pickup (push → each agent reads the manifest). */
export const FLEET_PICKUP_PUSHES = 6;

/** HTTP load on each instance during the deploys: light, 8 instances share 2 cores with the agents. */
export const FLEET_LOAD = { keepAliveConcurrency: 1, freshConcurrency: 1, pauseMs: 20, requestTimeoutMs: 10_000 } as const;

export const FLEET_TIMEOUTS = {
  /** Agents started on a release already pushed: every port answers with it. */
  firstServeMs: 120_000,
  /** One push, --wait included. */
  pushMs: 300_000,
  /** A push picked up (default 15 s poll, ±20 %) and rolled on every instance. */
  convergeMs: 180_000,
  agentStopMs: 30_000,
} as const;
