import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { runControl } from '../../../support/control-harness';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

function stateOf(h: AgentHarness): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(h.releasesDir, 'state.json'), 'utf8')) as Record<string, unknown>;
}

const socketOf = (h: AgentHarness): string => path.join(h.work, 'agent.sock');
const rollback = (h: AgentHarness) => runControl(['rollback', '--socket', socketOf(h)], { cwd: h.work });
const attempts = (h: AgentHarness, version: string): number => h.logs.filter((l) => l.msg === `deploying ${version}`).length;

/** Every worker answers with `version`: as many answers in a row as there are workers, each from a ready one. */
async function everyWorkerServes(h: AgentHarness, version: string): Promise<boolean> {
  const status = h.agent.status;
  if (status.workersReady !== status.workersTotal || status.slots.some((s) => s.version !== version)) return false;
  for (let i = 0; i < status.workersTotal * 2; i++) if ((await servedVersion(h.port)) !== version) return false;
  return true;
}

describe('deploy-agent rollback (this instance, now)', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function live(harness: AgentHarness, version: string): Promise<void> {
    await waitUntil(() => harness.logs.some((l) => l.msg === `${version} is live`), 30_000, `${version} to go live`);
    await harness.agent.settled();
  }

  it('rolls the workers back to the previous release and does not redeploy the desired one until desired.json changes', async () => {
    const harness = await startAgentHarness();
    h = harness;
    await harness.push('v1');
    await harness.agent.start();
    await live(harness, 'v1');
    await harness.push('v2');
    await live(harness, 'v2');
    expect(await everyWorkerServes(harness, 'v2')).toBe(true);

    const run = await rollback(harness);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^rolled back from v2 to v1 in \d+\.\d s; v2 is not deployed again until desired\.json changes\n$/);
    expect(await everyWorkerServes(harness, 'v1')).toBe(true);
    expect(readlinkSync(path.join(harness.releasesDir, 'current'))).toBe(path.join('releases', 'v1'));
    expect(stateOf(harness)).toMatchObject({
      current: 'v1',
      previous: 'v2',
      state: 'idle',
      failed: { version: 'v2' },
      lastDeploy: { version: 'v2', result: 'rolled-back', errorCode: 'OPERATOR_ROLLBACK' },
    });

    // The next passes read desired.json (still v2) and leave v1 serving.
    const before = attempts(harness, 'v2');
    for (let i = 0; i < 3; i++) {
      harness.agent.tick();
      await harness.agent.settled();
    }
    expect(attempts(harness, 'v2')).toBe(before);
    expect(await everyWorkerServes(harness, 'v1')).toBe(true);

    // Rolling "back" again would run the version just rolled away from: refused.
    const again = await rollback(harness);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the previous release v2 is the one that was rolled back/);

    // A change of desired.json clears it: the next push deploys.
    await harness.push('v3');
    await live(harness, 'v3');
    expect(await everyWorkerServes(harness, 'v3')).toBe(true);
    expect(stateOf(harness)).toMatchObject({ current: 'v3', previous: 'v1', failed: null });
  });

  it('is refused with a clear reason when there is no previous release, and the release keeps serving', async () => {
    const harness = await startAgentHarness();
    h = harness;
    await harness.push('v1');
    await harness.agent.start();
    await live(harness, 'v1');

    const run = await rollback(harness);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe('deploy-agent rollback: no previous release on this instance to roll back to (only v1 has run here)\n');
    expect(await everyWorkerServes(harness, 'v1')).toBe(true);
    expect(stateOf(harness)).toMatchObject({ current: 'v1', failed: null });
  });

  it('two rollbacks in a row go further back through what went live, never to the release rolled away from (#12.3)', async () => {
    const harness = await startAgentHarness();
    h = harness;
    await harness.push('v1');
    await harness.agent.start();
    await live(harness, 'v1');
    await harness.push('v2');
    await live(harness, 'v2');
    await harness.push('v3');
    await live(harness, 'v3');

    const first = await rollback(harness);
    expect(first.stdout).toMatch(/^rolled back from v3 to v2/);
    const second = await rollback(harness);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^rolled back from v2 to v1/);
    expect(await everyWorkerServes(harness, 'v1')).toBe(true);
    const state = stateOf(harness);
    expect(state).toMatchObject({ current: 'v1', failed: { version: 'v3' } });
    expect((state.wentLive as { version: string }[]).map((e) => e.version)).toEqual(['v3', 'v2', 'v1']);
  });

  it('waits for a deploy under way and then rolls back from what it deployed, never beside it', async () => {
    const harness = await startAgentHarness();
    h = harness;
    await harness.push('v1');
    await harness.agent.start();
    await live(harness, 'v1');
    // Slow workers keep the v2 deploy in its rolling step while the rollback is asked for.
    await harness.push('v2', { bootMs: 1500 });
    await waitUntil(() => harness.logs.some((l) => l.step === 'rolling' && l.version === 'v2'), 30_000, 'the v2 deploy to be rolling');

    const run = await rollback(harness);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^rolled back from v2 to v1/);
    const live2 = harness.logs.findIndex((l) => l.msg === 'v2 is live');
    const rollingBack = harness.logs.findIndex((l) => typeof l.msg === 'string' && l.msg.startsWith('rolling back from v2 to v1'));
    expect(live2).toBeGreaterThanOrEqual(0);
    expect(rollingBack).toBeGreaterThan(live2);
    expect(await everyWorkerServes(harness, 'v1')).toBe(true);
  });
});
