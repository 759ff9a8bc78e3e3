import { startAgentHarness, type AgentHarness } from '../../../../support/agent-harness';
import { runCli } from '../../../../support/cli-harness';
import { makeFixtureRelease } from '../../../../support/fixture-releases';
import { startH2Load } from '../../../../support/load/h2-load';
import { startLoad, type LoadHandle } from '../../../../support/load/load-client';
import { makeAppRelease, type FixtureApp } from '../../../../support/socketio/socketio-release';
import { waitUntil } from '../../../../support/with-timeout';

jest.setTimeout(120_000);

async function pushDir(h: AgentHarness, version: string, dir: string): Promise<void> {
  const run = await runCli(['push', version, '--dir', dir, '--store', h.store], { cwd: h.work });
  if (run.code !== 0) throw new Error(`deployctl push ${version} failed: ${run.stderr}`);
}

/**
 * The frameworks people deploy, unmodified, under schedulingPolicy "sticky":
 * the primary hands every connection over, so a keep-alive client stays on its
 * worker; a roll must still fail no request.
 */
describe('frameworks rolled under schedulingPolicy "sticky" by a real agent', () => {
  let h: AgentHarness | undefined;
  let load: LoadHandle | undefined;
  afterEach(async () => {
    await load?.stop();
    await h?.close();
    h = undefined;
    load = undefined;
  });

  async function rollUnderLoad(release: (work: string) => string, wsClients: number): Promise<ReturnType<LoadHandle['snapshot']>> {
    h = await startAgentHarness({ app: { workers: 3, schedulingPolicy: 'sticky', wsCloseWindowMs: 300, idleGraceMs: 200 } });
    const harness = h;
    const dir = release(harness.work);
    await pushDir(harness, 'v1', dir);
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1', 30_000, 'the agent to run v1');
    const l = startLoad({ port: harness.port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients });
    load = l;
    await l.waitFor((r) => (r.versions.v1 ?? 0) > 50 && r.wsVersionsAtEnd.v1 === (wsClients || undefined), 20_000, 'load served by v1');
    l.resetCounters();
    await pushDir(harness, 'v2', dir);
    await l.waitFor((r) => (r.versions.v2 ?? 0) > 50 && r.wsVersionsAtEnd.v2 === (wsClients || undefined), 60_000, 'load served by v2');
    await waitUntil(() => harness.agent.status.version === 'v2' && !harness.agent.status.rolling, 30_000, 'the roll to v2 to finish');
    return l.stop();
  }

  test.each<FixtureApp>(['express-app', 'fastify-app', 'koa-app'])('%s: keep-alive and fresh-connection load, 0 failed requests', async (app) => {
    const report = await rollUnderLoad((work) => makeAppRelease(work, app), 0);
    expect(report.failures).toEqual([]);
    expect(report.failedRequests).toBe(0);
    expect(report.versions.v2).toBeGreaterThan(0);
  });

  it('ws: 20 WebSocket clients move with one 1012 close each, and HTTP load fails nothing', async () => {
    const report = await rollUnderLoad((work) => makeFixtureRelease(work, 'app', { mode: 'unmodified' }).dir, 20);
    expect(report.failures).toEqual([]);
    expect(report.failedRequests).toBe(0);
    expect(report.wsFailures).toEqual([]);
    expect(report.abnormalWsCloses).toBe(0);
    expect(report.wsClosesPerClient).toBe(1);
  });

  // Sticky hands h2c connections over with their preface replayed (sticky-preload.js,
  // replaying()); the drain preload's GOAWAY moves the session off a retiring worker.
  it('http2 (h2c): one long-lived session moves to the new release with 0 failed streams', async () => {
    h = await startAgentHarness({ app: { workers: 3, schedulingPolicy: 'sticky', wsCloseWindowMs: 300, idleGraceMs: 200 } });
    const harness = h;
    const dir = makeAppRelease(harness.work, 'h2-app');
    await pushDir(harness, 'v1', dir);
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1', 30_000, 'the agent to run v1');
    const h2 = startH2Load({ port: harness.port, concurrency: 4 });
    try {
      await h2.waitFor((r) => (r.versions.v1 ?? 0) > 50, 20_000, 'h2 streams served by v1');
      await pushDir(harness, 'v2', dir);
      await waitUntil(() => harness.agent.status.version === 'v2' && !harness.agent.status.rolling, 60_000, 'the roll to v2 to finish');
      await h2.waitFor((r) => r.goaways >= 1 && (r.versions.v2 ?? 0) > 50, 30_000, 'the session to move to v2 after a GOAWAY');
    } finally {
      const report = await h2.stop();
      expect(report.failures).toEqual([]);
    }
  });
});
