import { agentDefaults } from '../../../../agent/config/defaults';
import {
  IDLE_COST_BUDGET_USD_PER_DAY,
  PICKUP_P50_TARGET_MS,
  idleRequestCost,
  pickupP50Ms,
  requestCostUsd,
} from '../../../../agent/status/request-cost';
import { DEFAULT_STALE_AFTER_MS } from '../../../../cli/fleet/fleet';

describe('what an idle agent costs in S3 requests', () => {
  it('prices the old defaults (5 s poll, 30 s heartbeat) as issue #13 counted them: 17,280 GETs + 2,880 PUTs, about $0.021 a day', () => {
    const old = idleRequestCost({ pollIntervalMs: 5_000, heartbeatMs: 30_000 });

    expect(old.getsPerDay).toBe(17_280);
    expect(old.putsPerDay).toBe(2_880);
    expect(old.usdPerDay).toBeCloseTo(0.021312, 6);
    // The PUTs are two thirds of it.
    expect(requestCostUsd({ gets: 0, puts: old.putsPerDay }) / old.usdPerDay).toBeCloseTo(2 / 3, 1);
  });

  it('keeps the defaults within $0.005 per instance-day', () => {
    const cost = idleRequestCost(agentDefaults);

    expect(cost.getsPerDay).toBe(86_400_000 / agentDefaults.pollIntervalMs);
    expect(cost.putsPerDay).toBe(86_400_000 / agentDefaults.heartbeatMs);
    expect(cost.usdPerDay).toBeLessThanOrEqual(IDLE_COST_BUDGET_USD_PER_DAY);
  });

  it('picks a push up within 10 s at the median with the default poll interval', () => {
    expect(pickupP50Ms(agentDefaults.pollIntervalMs)).toBeLessThanOrEqual(PICKUP_P50_TARGET_MS);
  });

  it('puts the median pickup at half the interval: a jittered poll (±20 %) comes within r with chance r/P', () => {
    // Simulate the watcher's schedule and push at random moments.
    const pollMs = 10_000;
    let seed = 42;
    const random = (): number => {
      // mulberry32: a small seeded generator, so the run is the same every time
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const ticks: number[] = [];
    for (let t = 0; t < 20_000_000; ) ticks.push((t += pollMs * (0.8 + random() * 0.4)));
    const waits = Array.from({ length: 5_001 }, () => {
      const push = 1_000_000 + random() * 18_000_000;
      return (ticks.find((tick) => tick >= push) ?? Infinity) - push;
    }).sort((a, b) => a - b);

    expect(waits[2_500]).toBeGreaterThan(pickupP50Ms(pollMs) * 0.9);
    expect(waits[2_500]).toBeLessThan(pickupP50Ms(pollMs) * 1.1);
  });

  it("keeps deployctl's default --stale-after at 3 default heartbeats, so a healthy idle instance is never stale", () => {
    expect(DEFAULT_STALE_AFTER_MS).toBe(3 * agentDefaults.heartbeatMs);
  });
});
