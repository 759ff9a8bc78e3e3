/**
 * The shape of `npm run bench:soak` (DESIGN §2; issue 7 item 3): consecutive
 * deploys under continuous HTTP + WebSocket load on one spawned deploy-agent
 * on a local store. Each deploy pushes a new version, alternating two builds
 * of the fixture app (A and B differ in their fixture.json), signed, so every
 * deploy runs the whole path: verify signature → fetch → unpack → roll → prune.
 */
export const SOAK_DEFAULT_DEPLOYS = 50;

/** Deploys before "before" is sampled: the agent's heap, code caches and handles have settled. */
export const SOAK_WARMUP_DEPLOYS = 2;

/** The agent's config (besides store, releasesDir, port, trustedKeys). */
export const SOAK_AGENT = {
  instanceId: 'soak-1',
  pollIntervalMs: 500,
  keep: 3,
  app: { workers: 2, wsCloseWindowMs: 500, stableMs: 500 },
} as const;

/** The load kept on the app for the whole run. */
export const SOAK_LOAD = { keepAliveConcurrency: 2, freshConcurrency: 2, wsClients: 10, pauseMs: 5 } as const;

/** The two builds deploys alternate between (fixture-releases.ts options). */
export const SOAK_BUILDS = [
  { name: 'a', options: { bootMs: 100 } },
  { name: 'b', options: { bootMs: 150 } },
] as const;

/** Limits of one step; each names what it waited for when it runs out. */
export const SOAK_TIMEOUTS = {
  firstServeMs: 30_000,
  pushWaitMs: 120_000,
  clientsMoveMs: 30_000,
  quiesceMs: 30_000,
  agentStopMs: 30_000,
} as const;

/** Growth of agent RSS and open fds from before to after, at most (issue 7: ≤ 10 %). */
export const SOAK_MAX_GROWTH = 0.1;
