import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { desiredSchema } from '../../../../agent/store/documents';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { lines, readJson, runCli } from '../../../support/cli-harness';
import { makeFixtureRelease, type FixtureReleaseOptions } from '../../../support/fixture-releases';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

type Log = Record<string, unknown>;

/** In-process agents on one local store: the rollout policy end to end through the real deployer, CLI and store. */
describe('fleet rollouts (agents on a local store)', () => {
  let work: string;
  let store: string;
  let agents: AgentHarness[] = [];
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'deployctl-fleet-rollout-'));
    store = path.join(work, 'store');
  });
  afterEach(async () => {
    await Promise.all(agents.map((a) => a.close()));
    agents = [];
    rmSync(work, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '--store', store], { cwd: work });
  const push = async (version: string, flags: string[] = [], options: FixtureReleaseOptions = {}) => {
    const dir = makeFixtureRelease(path.join(work, 'sources'), version, options).dir;
    return cli('push', version, '--dir', dir, ...flags);
  };
  const desired = async () => desiredSchema.parse(await readJson(path.join(store, 'desired.json')));
  const startAgent = async (id: string): Promise<AgentHarness> => {
    const harness = await startAgentHarness({ instanceId: id }, { store });
    agents.push(harness);
    await harness.agent.start();
    return harness;
  };
  const allLive = (version: string) =>
    waitUntil(() => agents.every((a) => reportsLive(readInstanceReport(store, `i-${agents.indexOf(a)}`), version)), 60_000, `every agent to report ${version} live`, 100);
  /** Every agent's log lines, with its instance id, in time order. */
  const fleetLog = (): (Log & { instance: string })[] =>
    agents
      .flatMap((a, i) => a.logs.map((l): Log & { instance: string } => ({ ...l, instance: `i-${i}` })))
      .sort((x, y) => String(x.time).localeCompare(String(y.time)));
  const tried = (version: string) => new Set(fleetLog().filter((l) => l.msg === `deploying ${version}`).map((l) => l.instance));

  async function fleetOnV1(n: number): Promise<void> {
    expect((await push('v1')).code).toBe(0);
    for (let i = 0; i < n; i++) await startAgent(`i-${i}`);
    await allLive('v1');
  }

  it('a good push with --canary 1 --batch 2 goes to the canary first and never to more than 2 at once', async () => {
    await fleetOnV1(4);
    const run = await withTimeout(push('v2', ['--canary', '1', '--batch', '2', '--wait', '--timeout', '90s']), 100_000, 'push --wait of v2');
    expect(run.code).toBe(0);
    expect(lines(run.stderr)).toEqual(expect.arrayContaining([expect.stringMatching(/stage canary/), expect.stringMatching(/stage done/)]));
    await allLive('v2');
    const log = fleetLog();
    const starts = log.filter((l) => l.msg === 'deploying v2');
    const firstLive = log.find((l) => l.msg === 'v2 is live');
    expect(starts).toHaveLength(4);
    // The canary got v2 live before any other instance started it.
    expect(starts.filter((l) => String(l.time) < String(firstLive?.time)).map((l) => l.instance)).toEqual([firstLive?.instance]);
    let deploying = 0;
    let most = 0;
    for (const line of log) {
      if (line.msg === 'deploying v2') most = Math.max(most, ++deploying);
      if (line.msg === 'v2 is live') deploying -= 1;
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(await desired()).toMatchObject({ version: 'v2', lastGood: 'v1', rollout: { canary: 1, batch: '2', batchSize: 2 } });
  });

  it('a release that crashes at start pushed with --canary 1 is tried by exactly one instance and the fleet is reverted', async () => {
    await fleetOnV1(3);
    const run = await withTimeout(push('v2', ['--canary', '1', '--wait', '--timeout', '90s'], { mode: 'crash-on-boot' }), 100_000, 'push --wait of the crashing v2');
    expect(run.code).toBe(1);
    expect(lines(run.stderr).at(-1)).toMatch(/^deployctl: v2 was reverted to v1: 1 instance\(s\) failed v2 \(--max-failures 1\).*; failed instances: i-\d \(.*ROLL|worker/);
    expect(await desired()).toMatchObject({ version: 'v1', previous: 'v2', revertedFrom: 'v2', revertReason: expect.stringMatching(/failed v2/) });
    await waitUntil(async () => agents.every((a) => readInstanceReport(store, `i-${agents.indexOf(a)}`)?.running === 'v1'), 30_000, 'every agent on v1');
    expect(tried('v2').size).toBe(1);
    for (const a of agents) expect(await servedVersion(a.port)).toBe('v1');
    const history = JSON.parse((await cli('history', '--json')).stdout) as { history: { kind: string; version: string; outcome: string; failed: unknown[] }[] };
    expect(history.history.slice(0, 2)).toMatchObject([
      { kind: 'revert', version: 'v1' },
      { kind: 'push', version: 'v2', outcome: 'reverted to v1', failed: [expect.objectContaining({ instanceId: expect.any(String) })] },
    ]);
  });

  it('--max-failures 2 with a release failing on 2 of 4 stops at the second failure and reverts', async () => {
    await fleetOnV1(4);
    const crashOnPort = [agents[1]?.port ?? 0, agents[2]?.port ?? 0];
    const run = await withTimeout(push('v2', ['--max-failures', '2', '--batch', '1', '--wait', '--timeout', '90s'], { crashOnPort }), 100_000, 'push --wait of v2');
    expect(run.code).toBe(1);
    expect(lines(run.stderr).at(-1)).toMatch(/^deployctl: v2 was reverted to v1: 2 instance\(s\) failed v2 \(--max-failures 2\)/);
    const failures = await cli('rollout', '--json');
    expect(JSON.parse(failures.stdout)).toMatchObject({ stage: 'reverted', budget: 2, revertedTo: 'v1' });
    expect((JSON.parse(failures.stdout) as { failures: { instanceId: string }[] }).failures.map((f) => f.instanceId).sort()).toEqual(['i-1', 'i-2']);
    await waitUntil(() => agents.every((_a, i) => readInstanceReport(store, `i-${i}`)?.running === 'v1' && readInstanceReport(store, `i-${i}`)?.state === 'idle'), 30_000, 'every agent back on v1');
  });

  it('pause starts no new deploy, resume goes on, abort reverts now', async () => {
    await fleetOnV1(3);
    expect((await push('v2', ['--canary', '1', '--batch', '1'])).code).toBe(0);
    expect(lines((await cli('rollout', 'pause')).stdout)[0]).toMatch(/^paused rollout v2-\S+ of v2: deploys in progress finish, no new one starts$/);
    // Whatever started before the pause finishes; nothing starts after it.
    await waitUntil(() => agents.every((a) => a.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('waiting: rollout') && l.msg.endsWith('is paused')) || tried('v2').has(`i-${agents.indexOf(a)}`)), 30_000, 'every agent to see the pause', 100);
    const before = tried('v2').size;
    expect(before).toBeLessThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(tried('v2').size).toBe(before);
    expect(JSON.parse((await cli('rollout', '--json')).stdout)).toMatchObject({ stage: 'paused' });

    expect((await cli('rollout', 'resume')).code).toBe(0);
    await waitUntil(() => tried('v2').size >= 2, 60_000, 'a second instance to start v2 after the resume', 100);
    const abort = await cli('rollout', 'abort');
    expect(lines(abort.stdout)).toEqual([expect.stringMatching(/^aborted rollout v2-\S+: desired.json -> v1 \(was v2\)$/)]);
    expect(await desired()).toMatchObject({ version: 'v1', revertedFrom: 'v2', revertReason: expect.stringMatching(/^aborted by /) });
    await waitUntil(() => agents.every((_a, i) => readInstanceReport(store, `i-${i}`)?.running === 'v1' && readInstanceReport(store, `i-${i}`)?.state === 'idle'), 60_000, 'every agent on v1 after the abort', 100);
  });

  it('a new agent joining mid-rollout serves lastGood first, then waits for its turn', async () => {
    await fleetOnV1(1);
    // The canary bakes for an hour: the rollout stays unproven.
    expect((await push('v2', ['--canary', '1', '--bake', '1h'])).code).toBe(0);
    await allLive('v2');
    const late = await startAgent('i-1');
    await waitUntil(() => reportsLive(readInstanceReport(store, 'i-1'), 'v1'), 60_000, 'the new agent to serve v1 (lastGood)', 100);
    expect(await servedVersion(late.port)).toBe('v1');
    await waitUntil(() => late.logs.some((l) => typeof l.msg === 'string' && /^waiting: canaries of rollout \S+ are baking$/.test(l.msg)), 30_000, 'the new agent to wait for the bake');
    expect(tried('v2')).toEqual(new Set(['i-0']));
    expect(JSON.parse((await cli('rollout', '--json')).stdout)).toMatchObject({ stage: 'baking', canariesLive: 1 });
  });
});
