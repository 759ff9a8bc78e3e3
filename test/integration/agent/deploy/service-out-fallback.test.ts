import path from 'node:path';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { runCli } from '../../../support/cli-harness';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { waitUntil } from '../../../support/with-timeout';

describe('a service-out deploy on an agent without a load balancer', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('deploys rolling instead and says so in the log', async () => {
    h = await startAgentHarness({ instanceId: 'i-solo' });
    const harness = h;
    await harness.push('v1');
    await harness.agent.start();
    await waitUntil(() => reportsLive(readInstanceReport(harness.store, 'i-solo'), 'v1'), 20_000, 'v1 to be live');

    const dir = makeFixtureRelease(path.join(harness.work, 'sources'), 'v2').dir;
    const push = await runCli(['push', 'v2', '--dir', dir, '--store', harness.store, '--strategy', 'service-out'], { cwd: harness.work });
    expect(push.code).toBe(0);
    await waitUntil(() => reportsLive(readInstanceReport(harness.store, 'i-solo'), 'v2'), 20_000, 'v2 to be live');

    const warning = harness.logs.find((l) => String(l.msg).includes('no loadBalancer is configured; deploying rolling'));
    expect(warning).toMatchObject({ level: 'warn', version: 'v2' });
    const steps = harness.logs.filter((l) => l.version === 'v2' && typeof l.step === 'string' && String(l.msg).startsWith('step ')).map((l) => l.step);
    expect(steps).toEqual(['fetching', 'unpacking', 'rolling', 'validating']);
  });
});
