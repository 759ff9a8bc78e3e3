import { SOAK_LOAD } from './soak-config';
import { runSoak } from './soak-run';

// A smoke run of `npm run bench:soak` (needs dist/: `npm test` builds it first).
describe('the soak bench', () => {
  it('deploys one version after another under load without a failed request or an abnormal WebSocket close', async () => {
    const deploys = 4;
    const result = await runSoak({ deploys, warmupDeploys: 1, say: () => undefined });

    expect(result.failedDeploys).toEqual([]);
    expect(result.deployMs).toHaveLength(deploys);
    expect(result.failures).toEqual([]);
    expect(result.failedRequests).toBe(0);
    expect(result.wsFailures).toEqual([]);
    expect(result.abnormalWsCloses).toBe(0);
    // Every client moved to every new version: it connected once at the start and again per deploy.
    expect(result.wsConnects).toBeGreaterThanOrEqual(SOAK_LOAD.wsClients * (1 + 1 + deploys));
    expect(result.agentExit).toEqual({ code: 0, signal: null });
  }, 120_000);
});
