import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { tcpPortProbe } from '../../../../agent/cluster/port-probe';
import type { AgentState } from '../../../../agent/deploy/agent-state';
import { instanceStatusSchema, type InstanceStatus } from '../../../../agent/store/documents';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { FailingReleaseDirs } from '../../../support/failing-release-dirs';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

/**
 * The end of a deploy whose roll succeeded but whose `current` switch or
 * state.json write failed (a disk that filled up): the instance goes back to
 * the previous release, so the workers, `current`, state.json and the status
 * report all name the release a restart would serve.
 */
function stateOf(h: AgentHarness): AgentState {
  return JSON.parse(readFileSync(path.join(h.releasesDir, 'state.json'), 'utf8')) as AgentState;
}

/** The one instance report in the harness's store. */
function reportOf(h: AgentHarness): InstanceStatus | undefined {
  const dir = path.join(h.store, 'instances');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return undefined;
  }
  const [name] = names;
  return name === undefined ? undefined : instanceStatusSchema.parse(JSON.parse(readFileSync(path.join(dir, name), 'utf8')));
}

describe('a deploy whose roll succeeded but whose commit to disk failed', () => {
  let h: AgentHarness | undefined;
  let dirs: FailingReleaseDirs | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function startOnV1(): Promise<{ h: AgentHarness; dirs: FailingReleaseDirs }> {
    h = await startAgentHarness({ heartbeatMs: 1000 }, { openDirs: (root) => (dirs = new FailingReleaseDirs(root)) });
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => stateOf(h as AgentHarness).current === 'v1', 20_000, 'the agent to run v1');
    await h.agent.settled();
    if (!dirs) throw new Error('the agent did not take the harness ReleaseDirs');
    return { h, dirs };
  }

  /** Every source of truth says v1, and the deploy of v2 is recorded as rolled back with `code`. */
  async function expectAllAgreeOnV1(harness: AgentHarness, code: string): Promise<void> {
    await waitUntil(() => stateOf(harness).lastDeploy?.version === 'v2', 30_000, 'the v2 deploy to end');
    await harness.agent.settled();
    await waitUntil(() => reportOf(harness)?.lastDeploy?.version === 'v2', 10_000, 'the instance report of the v2 deploy');

    const served = await Promise.all(Array.from({ length: 6 }, () => servedVersion(harness.port)));
    expect(served).toEqual(Array(6).fill('v1'));
    expect(harness.agent.status.slots.map((slot) => slot.version)).toEqual(['v1', 'v1']);
    expect(readlinkSync(path.join(harness.releasesDir, 'current'))).toBe(path.join('releases', 'v1'));
    expect(stateOf(harness)).toMatchObject({
      current: 'v1',
      state: 'idle',
      failed: { version: 'v2' },
      lastDeploy: { version: 'v2', result: 'rolled-back', errorCode: code },
    });
    expect(reportOf(harness)).toMatchObject({ running: 'v1', state: 'idle', lastDeploy: { version: 'v2', result: 'rolled-back', errorCode: code } });
    const steps = harness.logs.filter((l) => l.version === 'v2' && typeof l.step === 'string').map((l) => l.step);
    expect(steps).toEqual(expect.arrayContaining(['rolling', 'validating', 'rolling-back']));
  }

  it('current cannot be switched to v2: the workers roll back to v1, and current, state.json, the report and the workers all say v1', async () => {
    const started = await startOnV1();
    started.dirs.failSwitchTo = 'v2';

    await started.h.push('v2');

    await expectAllAgreeOnV1(started.h, 'CURRENT_SWITCH_FAILED');
    expect(started.dirs.thrown).toEqual([expect.stringContaining('-> releases/v2')]);
    expect(stateOf(started.h).lastDeploy?.error).toMatch(/^cannot point .*current at v2: ENOSPC: no space left on device/);
  });

  it('state.json cannot record v2 (current already switched): current goes back to v1 and the workers too, so the state.json on disk is true', async () => {
    const started = await startOnV1();
    started.dirs.failStateWhen = (state) => state.current === 'v2';

    await started.h.push('v2');

    await expectAllAgreeOnV1(started.h, 'STATE_WRITE_FAILED');
    expect(started.dirs.thrown).toEqual([expect.stringContaining('state.json')]);
  });

  it('first deploy, current cannot be made for v1: its workers stop, so nothing serves, there is no current, and state.json and the report say v1 failed; v2 then deploys', async () => {
    h = await startAgentHarness({ heartbeatMs: 1000 }, { openDirs: (root) => (dirs = new FailingReleaseDirs(root)) });
    const harness = h;
    if (!dirs) throw new Error('the agent did not take the harness ReleaseDirs');
    dirs.failSwitchTo = 'v1';
    await harness.push('v1');
    await harness.agent.start();
    await waitUntil(() => stateOf(harness).lastDeploy?.version === 'v1', 30_000, 'the v1 deploy to end');
    await harness.agent.settled();
    await waitUntil(() => reportOf(harness)?.lastDeploy?.version === 'v1', 10_000, 'the instance report of the v1 deploy');

    expect(dirs.thrown).toEqual([expect.stringContaining('-> releases/v1')]);
    await expect(tcpPortProbe.answers(harness.port, 2_000)).rejects.toThrow(String(harness.port));
    expect(harness.agent.status).toMatchObject({ version: undefined, workersReady: 0, workersTotal: 0, slots: [] });
    expect(lstatSync(path.join(harness.releasesDir, 'current'), { throwIfNoEntry: false })).toBeUndefined();
    const failed = { version: 'v1', result: 'failed', errorCode: 'CURRENT_SWITCH_FAILED' };
    expect(stateOf(harness)).toMatchObject({ current: null, state: 'idle', failed: { version: 'v1' }, lastDeploy: failed });
    expect(reportOf(harness)).toMatchObject({ running: null, state: 'idle', workers: { ready: 0, total: 0 }, lastDeploy: failed });

    // The supervisor can start again: the next release deploys as a first one.
    await harness.push('v2');
    await waitUntil(() => stateOf(harness).current === 'v2', 30_000, 'v2 to be committed');
    expect(readlinkSync(path.join(harness.releasesDir, 'current'))).toBe(path.join('releases', 'v2'));
    expect(await servedVersion(harness.port)).toBe('v2');
  });

  it('first deploy, state.json cannot record v1 but current names it: v1 stays, and the workers, current and the report all say v1 is live', async () => {
    h = await startAgentHarness({ heartbeatMs: 1000 }, { openDirs: (root) => (dirs = new FailingReleaseDirs(root)) });
    const harness = h;
    if (!dirs) throw new Error('the agent did not take the harness ReleaseDirs');
    dirs.failStateWhen = (state) => state.current === 'v1';
    await harness.push('v1');
    await harness.agent.start();
    await waitUntil(() => reportOf(harness)?.lastDeploy?.version === 'v1', 30_000, 'the instance report of the v1 deploy');
    await harness.agent.settled();

    expect(dirs.thrown).toEqual([expect.stringContaining('state.json')]);
    expect(await servedVersion(harness.port)).toBe('v1');
    expect(harness.agent.status.slots.map((slot) => slot.version)).toEqual(['v1', 'v1']);
    expect(readlinkSync(path.join(harness.releasesDir, 'current'))).toBe(path.join('releases', 'v1'));
    expect(reportOf(harness)).toMatchObject({ running: 'v1', state: 'idle', lastDeploy: { version: 'v1', result: 'succeeded' } });
    expect(stateOf(harness).failed).toBeNull(); // stale (the write failed), but never says v1 failed
  });

  it('after a failed commit, the next desired version deploys and commits normally', async () => {
    const started = await startOnV1();
    started.dirs.failSwitchTo = 'v2';
    await started.h.push('v2');
    await waitUntil(() => stateOf(started.h).lastDeploy?.version === 'v2', 30_000, 'the v2 deploy to end');
    await started.h.agent.settled();

    await started.h.push('v3');

    await waitUntil(() => stateOf(started.h).current === 'v3', 30_000, 'v3 to be committed');
    expect(readlinkSync(path.join(started.h.releasesDir, 'current'))).toBe(path.join('releases', 'v3'));
    expect(stateOf(started.h)).toMatchObject({ current: 'v3', previous: 'v1', failed: null, lastDeploy: { version: 'v3', result: 'succeeded' } });
    expect(await servedVersion(started.h.port)).toBe('v3');
  });
});
