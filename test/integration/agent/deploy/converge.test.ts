import { copyFileSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalStore } from '../../../../agent/store/local-store';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { runCli } from '../../../support/cli-harness';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { startLoad } from '../../../support/load/load-client';
import { waitUntil } from '../../../support/with-timeout';

function stateOf(h: AgentHarness): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(h.releasesDir, 'state.json'), 'utf8')) as Record<string, unknown>;
}

/** Pushes v2 into a second store beside the harness's; returns its directory. */
async function startSideStore(h: AgentHarness): Promise<string> {
  const side = path.join(h.work, 'side-store');
  const dir = makeFixtureRelease(path.join(h.work, 'side-src'), 'v2').dir;
  const result = await runCli(['push', 'v2', '--dir', dir, '--store', side], { cwd: h.work });
  if (result.code !== 0) throw new Error(`side push failed: ${result.stderr}`);
  return side;
}

describe('deploy-agent on a local store', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('converges to each pushed version under load without a failed request', async () => {
    h = await startAgentHarness();
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => h?.agent.status.version === 'v1', 20_000, 'the agent to run v1');
    const load = startLoad({ port: h.port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 10 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20 && r.wsVersionsAtEnd.v1 === 10, 10_000, 'load on v1');
      load.resetCounters();
      await h.push('v2');
      await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 10 && (r.versions.v2 ?? 0) > 20, 30_000, 'clients on v2');
      await waitUntil(() => stateOf(h as AgentHarness).current === 'v2', 10_000, 'state.json to say v2');
      const report = await load.stop();

      expect(report.failures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
      expect(readlinkSync(path.join(h.releasesDir, 'current'))).toBe(path.join('releases', 'v2'));
      expect(stateOf(h)).toMatchObject({ current: 'v2', previous: 'v1', state: 'idle', failed: null, lastDeploy: { version: 'v2', result: 'succeeded' } });
      const steps = h.logs.filter((l) => l.version === 'v2' && typeof l.step === 'string').map((l) => l.step);
      expect(steps).toEqual(expect.arrayContaining(['fetching', 'unpacking', 'rolling', 'validating', 'idle']));
    } finally {
      await load.stop();
    }
  });

  it('refuses an artifact whose sha256 does not match its manifest, names the reason, and keeps serving', async () => {
    h = await startAgentHarness();
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => h?.agent.status.version === 'v1', 20_000, 'the agent to run v1');
    await h.agent.settled();

    // v2 is pushed to a side store, its artifact altered (same size; a byte of the gzip
    // header's mtime flipped, so it still unpacks) and only then published here.
    const side = await startSideStore(h);
    const bytes = readFileSync(path.join(side, 'releases', 'v2.tar.gz'));
    bytes[4] = (bytes[4] ?? 0) ^ 0xff;
    writeFileSync(path.join(h.store, 'releases', 'v2.tar.gz'), bytes);
    copyFileSync(path.join(side, 'releases', 'v2.json'), path.join(h.store, 'releases', 'v2.json'));
    await new LocalStore(h.store).writeDesired({ version: 'v2', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: 'v1' });
    h.agent.tick();
    await waitUntil(() => (stateOf(h as AgentHarness).failed as { version?: string } | null)?.version === 'v2', 20_000, 'the failure in state.json');
    await h.agent.settled();

    const state = stateOf(h);
    expect(state).toMatchObject({ current: 'v1', state: 'idle', lastDeploy: { version: 'v2', result: 'failed', errorCode: 'ARTIFACT_HASH_MISMATCH' } });
    expect(h.logs.some((l) => l.level === 'error' && l.version === 'v2' && /sha256 is [0-9a-f]{64} but the manifest says/.test(String(l.err)))).toBe(true);
    expect(h.agent.status.version).toBe('v1');
    expect(readdirSync(path.join(h.releasesDir, 'releases'))).toEqual(['v1']);

    // Not retried on every poll: the failure is remembered until desired.json changes.
    const attempts = () => h?.logs.filter((l) => l.msg === 'deploying v2').length ?? 0;
    const before = attempts();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(attempts()).toBe(before);
  });

  it('rolls back to the previous release when the health check fails after the roll', async () => {
    h = await startAgentHarness({ app: { healthCheck: { path: '/health', timeoutMs: 1000 } } });
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => stateOf(h as AgentHarness).current === 'v1', 20_000, 'the agent to run v1');
    await h.agent.settled();

    await h.push('v2', { mode: 'unhealthy' });
    h.agent.tick();
    await waitUntil(() => (stateOf(h as AgentHarness).lastDeploy as { version?: string } | null)?.version === 'v2', 20_000, 'the v2 deploy to end');
    await h.agent.settled();

    expect(stateOf(h)).toMatchObject({
      current: 'v1',
      failed: { version: 'v2', reason: expect.stringMatching(/GET \/health .* status 503/) },
      lastDeploy: { version: 'v2', result: 'rolled-back', errorCode: 'HEALTH_CHECK_FAILED' },
    });
    expect(h.agent.status.slots.map((s) => s.version)).toEqual(['v1', 'v1']);
    expect(readlinkSync(path.join(h.releasesDir, 'current'))).toBe(path.join('releases', 'v1'));
    const steps = h.logs.filter((l) => l.version === 'v2' && typeof l.step === 'string').map((l) => l.step);
    expect(steps).toEqual(expect.arrayContaining(['rolling', 'validating', 'rolling-back']));
  });

  it('never prunes the running or the previous release', async () => {
    h = await startAgentHarness({ keep: 2 });
    await h.push('v1');
    await h.agent.start();
    for (const v of ['v2', 'v3', 'v4']) {
      await waitUntil(() => h?.agent.status.version !== undefined, 20_000, 'the agent to run something');
      await h.agent.settled();
      await h.push(v);
      await waitUntil(() => stateOf(h as AgentHarness).current === v, 30_000, `the agent to run ${v}`);
    }
    await h.agent.settled();
    expect(readdirSync(path.join(h.releasesDir, 'releases')).sort()).toEqual(['v3', 'v4']);
    expect(stateOf(h)).toMatchObject({ current: 'v4', previous: 'v3' });
  });
});
