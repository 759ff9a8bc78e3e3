import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalStore } from '../../../agent/store/local-store';
import { rolloutBaseline } from '../../../cli/fleet/rollout-check';
import { waitForRollout } from '../../../cli/fleet/wait-for-rollout';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { lines, readJson, runCli } from '../../support/cli-harness';
import { makeFixtureRelease, type FixtureReleaseOptions } from '../../support/fixture-releases';
import { waitUntil } from '../../support/with-timeout';

/** `deployctl push <version> --dir <fixture release> --store <the harness's store> ...extra`. */
function pushWait(h: AgentHarness, version: string, extra: string[], fixture: FixtureReleaseOptions = {}) {
  const dir = makeFixtureRelease(path.join(h.work, 'wait-sources'), version, fixture).dir;
  return runCli(['push', version, '--dir', dir, '--store', h.store, ...extra], { cwd: h.work });
}

describe('deployctl push --wait', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** An agent (i-1) serving v1. */
  async function agentOnV1(): Promise<AgentHarness> {
    const harness = await startAgentHarness({ instanceId: 'i-1' });
    await harness.push('v1');
    await harness.agent.start();
    await waitUntil(() => reportsLive(readInstanceReport(harness.store, 'i-1'), 'v1'), 20_000, 'i-1 to report v1 live');
    await harness.agent.settled();
    return harness;
  }

  it('exits 0 once every live instance runs the version, idle, all workers ready', async () => {
    h = await agentOnV1();

    const run = await pushWait(h, 'v2', ['--wait', '--timeout', '25s']);

    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([expect.stringMatching(/^pushed v2: /), 'desired.json -> v2 (was v1)', 'v2 is live on 1 instance: i-1']);
    expect(lines(run.stderr)).toContain('waiting up to 25s for every live instance to run v2');
    expect(readInstanceReport(h.store, 'i-1')).toMatchObject({ running: 'v2', state: 'idle', workers: { ready: 2, total: 2 } });
  });

  it('prints one JSON object with the instances when --json is given', async () => {
    h = await agentOnV1();

    const run = await pushWait(h, 'v2', ['--wait', '--timeout', '25s', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, version: 'v2', previous: 'v1', instances: ['i-1'] });
    expect(lines(run.stdout)).toHaveLength(1);
  });

  it('exits 1 naming the instance and its error when the release crashes on boot', async () => {
    h = await agentOnV1();

    const run = await pushWait(h, 'v2', ['--wait', '--timeout', '25s'], { mode: 'crash-on-boot' });

    expect(run.code).toBe(1);
    const last = lines(run.stderr).at(-1);
    expect(last).toMatch(/^deployctl: v2 failed on 1 instance: i-1 \(rolled-back: roll to v2 failed at start: .*fixture: crash on boot.*; v1 kept serving\)$/);
    expect(h.agent.status.version).toBe('v1');
    expect(await readJson(path.join(h.store, 'desired.json'))).toMatchObject({ version: 'v2' });
  });

  it('names what it still waited for when the timeout passes', async () => {
    h = await agentOnV1();

    const run = await pushWait(h, 'v2', ['--wait', '--timeout', '1s'], { bootMs: 3_000 });

    expect(run.code).toBe(1);
    expect(lines(run.stderr).at(-1)).toMatch(/^deployctl: timed out after 1s waiting for: i-1 \(running v[12], state [a-z-]+(, workers \d\/\d)?\)$/);
  });
});

describe('deployctl push --wait without agents', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-wait-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('waits until the timeout and says no live instance reported', async () => {
    const dir = makeFixtureRelease(path.join(work, 'src'), 'v1').dir;
    const started = Date.now();

    const run = await runCli(['push', 'v1', '--dir', dir, '--store', 'store', '--wait', '--timeout', '1500ms'], { cwd: work });

    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(lines(run.stderr).at(-1)).toBe(
      'deployctl: timed out after 1500ms: no live instance reported (no report in instances/ newer than 15m); is deploy-agent running on store?',
    );
    expect(await readJson(path.join(work, 'store', 'desired.json'))).toMatchObject({ version: 'v1' });
  });

  it('stops waiting when desired.json moves on to another version', async () => {
    const store = new LocalStore(path.join(work, 'store'));
    await store.writeDesired({ version: 'v9', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: 'v1' });

    const waiting = waitForRollout(store, { version: 'v1', timeoutMs: 10_000, staleAfterMs: 90_000, baseline: rolloutBaseline([]), progress: new PassThrough() });

    await expect(waiting).rejects.toMatchObject({
      code: 'ROLLOUT_SUPERSEDED',
      message: 'stopped waiting: desired.json now names v9, not v1 (another push or rollback)',
    });
  });
});
