import { agentDefaults } from '../../../agent/config/defaults';
import { IDLE_COST_BUDGET_USD_PER_DAY } from '../../../agent/status/request-cost';
import { fleetChecks, fleetFigures, fleetJson } from './fleet-report';
import { runFleet } from './fleet-run';

// A smoke run of part (c) of `npm run bench:fleet` (needs dist/: `npm test` builds it first):
// 2 real agents on the S3 test server, 10 idle minutes of their clock run 100 times fast.
describe('the fleet bench, idle part', () => {
  it('counts only polls of desired.json and heartbeat reports from an idle fleet, within the cost budget', async () => {
    const minutes = 10;
    const result = await runFleet({ agents: 2, idleMinutes: minutes, idleScale: 100, goodPushes: 0, policy: false, say: () => undefined });
    const { idle } = result;

    expect(idle.counts.map((c) => `${c.operation} ${c.keyPrefix}`).sort()).toEqual(['GetObject desired.json', 'PutObject instances/']);
    // The timers set the counts: a GET per poll, a PUT per heartbeat (timers that fire late only lower them).
    const polls = (minutes * 60_000) / agentDefaults.pollIntervalMs;
    const heartbeats = (minutes * 60_000) / agentDefaults.heartbeatMs;
    expect(idle.getsPerInstance).toBeGreaterThan(polls * 0.5);
    expect(idle.getsPerInstance).toBeLessThanOrEqual(polls * 1.3);
    expect(idle.putsPerInstance).toBeGreaterThanOrEqual(heartbeats / 2);
    expect(idle.putsPerInstance).toBeLessThanOrEqual(heartbeats + 1);
    expect(idle.usdPerInstanceDay).toBeLessThanOrEqual(IDLE_COST_BUDGET_USD_PER_DAY);

    const figures = fleetFigures(result);
    expect(fleetChecks(figures).find((c) => c.name === 'idleCostPerInstanceDayUsd')?.pass).toBe(true);
    expect(JSON.parse(fleetJson(result, figures))).toMatchObject({ bench: 'fleet', agents: 2, results: { goodNoPolicyMs: null, pickupP50Ms: null } });
  }, 180_000);
});
