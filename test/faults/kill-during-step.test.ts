import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BootGate } from '../support/boot-gate';
import { startFaultRig, type FaultRig } from '../support/fault-rig';
import { childProcesses, holdsFd, isGone, portIsFree, type ProcessRef } from '../support/process-tree';
import { currentVersion, incompleteReleases, readStateFile, releaseVersions, tempLeftovers } from '../support/release-invariants';
import { startS3Server, type S3Server, type SeenRequest } from '../support/s3-server';
import { servedVersion, type SpawnedAgent } from '../support/spawned-agent';
import { waitUntil, withTimeout } from '../support/with-timeout';

/** A bound on waiting for the restarted agent to serve current (served from disk, before the store is read); not a speed target. */
const SERVES_WITHIN_MS = 20_000;
/** A deploy after a restart: fetch, unpack, roll two workers, stability wait. */
const CONVERGES_WITHIN_MS = 30_000;

const artifactOf =
  (version: string) =>
  (request: SeenRequest): boolean =>
    request.operation === 'GetObject' && request.key === `app/releases/${version}.tar.gz`;

describe('deploy-agent SIGKILLed inside a deploy step', () => {
  let s3: S3Server;
  let rig: FaultRig | undefined;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop();
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  /** An instance serving v1, its agent idle. */
  async function servingV1(
    overrides: Parameters<typeof startFaultRig>[1] = {},
    files: Record<string, string> = {},
  ): Promise<{ rig: FaultRig; agent: SpawnedAgent }> {
    const started = await startFaultRig(s3, overrides);
    rig = started;
    await started.push('v1', files);
    const agent = started.spawn();
    await waitUntil(() => agent.logs.some((l) => l.msg === 'v1 is live'), 20_000, 'the agent to make v1 live');
    return { rig: started, agent };
  }

  /** The step the agent was in when it died, from the state.json it left. */
  function stepOnDisk(r: FaultRig): { state: string; target: string | null } {
    const { state, target } = readStateFile(r.releasesDir);
    return { state, target };
  }

  /** Right after the kill: nothing of the agent runs on, and its disk is consistent. */
  async function expectCleanDeath(r: FaultRig, children: readonly ProcessRef[], unpacked: readonly string[]): Promise<void> {
    const pids = children.map((c) => c.pid).join(', ');
    await waitUntil(() => children.every(isGone), 10_000, `the killed agent's children (${pids}) to exit`);
    expect(await portIsFree(r.port)).toBe(true);
    expect(releaseVersions(r.releasesDir)).toEqual(unpacked);
    expect(await incompleteReleases(r.releasesDir, r.sourceOf)).toEqual([]);
    expect(currentVersion(r.releasesDir)).toBe('v1');
  }

  /** A new agent on the same disk serves at once, then completes the deploy of v2. */
  async function restartAndConverge(r: FaultRig, whenServing: () => void = () => undefined): Promise<SpawnedAgent> {
    const agent = r.spawn();
    let first: string | undefined;
    await waitUntil(async () => (first = await servedVersion(r.port)) !== undefined, SERVES_WITHIN_MS, 'the restarted agent to serve');
    expect(['v1', 'v2']).toContain(first);
    whenServing();
    await r.converged('v2', CONVERGES_WITHIN_MS);
    expect(await servedVersion(r.port)).toBe('v2');
    expect(tempLeftovers(r.releasesDir)).toEqual([]);
    expect(await incompleteReleases(r.releasesDir, r.sourceOf)).toEqual([]);
    expect(currentVersion(r.releasesDir)).toBe('v2');
    expect(readStateFile(r.releasesDir)).toMatchObject({ state: 'idle', current: 'v2', previous: 'v1', failed: null });
    return agent;
  }

  it('fetching: the artifact request held by a slow store; after a restart it fetches again and completes', async () => {
    const { rig: r, agent } = await servingV1();
    const stall = s3.stall(artifactOf('v2'));
    await r.push('v2');
    await withTimeout(stall.reached, 20_000, 'the agent to ask for the v2 artifact');
    expect(stepOnDisk(r)).toEqual({ state: 'fetching', target: 'v2' });

    const children = await r.kill(agent);
    stall.release();
    await expectCleanDeath(r, children, ['v1']);
    const restarted = await restartAndConverge(r);
    expect(restarted.logs).toContainEqual(expect.objectContaining({ msg: 'the last run stopped during fetching; starting over from current' }));
  });

  it('unpacking: the download held half-way, a temp dir on disk; the restart removes it and unpacks again', async () => {
    const { rig: r, agent } = await servingV1();
    const stall = s3.stall(artifactOf('v2'), { afterBytes: 256 * 1024 });
    await r.push('v2', { 'blob.bin': randomBytes(2 * 1024 * 1024) });
    await withTimeout(stall.reached, 20_000, 'the agent to download the first 256 KiB of v2');
    const releases = path.join(r.releasesDir, 'releases');
    // The writer threads batch small entries, so the first files may still be in a batch while the
    // download is held: the temp dir is what must be there (and be removed after the restart).
    const partial = (): string | undefined => readdirSync(releases).find((name) => name.startsWith('.unpack-v2-'));
    await waitUntil(() => partial() !== undefined, 10_000, 'the temp dir of v2 in releases/');
    const tempDir = partial() ?? '';
    expect(stepOnDisk(r)).toEqual({ state: 'unpacking', target: 'v2' });

    const children = await r.kill(agent);
    stall.release();
    await expectCleanDeath(r, children, ['v1']);
    expect(existsSync(path.join(releases, tempDir))).toBe(true);

    const restarted = await restartAndConverge(r);
    expect(restarted.logs).toContainEqual(
      expect.objectContaining({ msg: 'removed partial unpacks left by an earlier run', removed: expect.arrayContaining([tempDir]) }),
    );
  });

  it('rolling: a new worker held at boot; no worker outlives the agent, and the restart rolls again', async () => {
    const { rig: r, agent } = await servingV1();
    const gate = new BootGate(path.join(r.work, 'gate'));
    await r.push('v2', { 'server.js': gate.serverJs() });
    await waitUntil(() => gate.waitingPids().length > 0, 20_000, 'a v2 worker to wait at the boot gate');
    expect(stepOnDisk(r)).toEqual({ state: 'rolling', target: 'v2' });
    expect(await servedVersion(r.port)).toBe('v1');

    const children = await r.kill(agent);
    // The held v2 worker and both v1 workers were children of the agent: none may be left.
    expect(children.map((c) => c.pid)).toEqual(expect.arrayContaining(gate.waitingPids()));
    expect(children.length).toBeGreaterThanOrEqual(3);
    await expectCleanDeath(r, children, ['v1', 'v2']);

    const restarted = await restartAndConverge(r, () => gate.open());
    expect(restarted.logs).toContainEqual(expect.objectContaining({ msg: 'the last run stopped during rolling; starting over from current' }));
  });

  it('rolling: a retired worker of an app that owns its shutdown leaves with the killed agent', async () => {
    // v1 keeps running after 'shutdown' (it listens for messages itself); the agent would kill it after
    // shutdownTimeoutMs, far beyond this test: once the agent is dead nobody else will.
    const ignoresShutdown = JSON.stringify({ mode: 'ignore-shutdown', bootMs: 0 });
    const { rig: r, agent } = await servingV1({ app: { shutdownTimeoutMs: 120_000 } }, { 'fixture.json': ignoresShutdown });
    const v1Workers = childProcesses(agent.child.pid ?? 0);
    const gate = new BootGate(path.join(r.work, 'gate'), 1);
    await r.push('v2', { 'server.js': gate.serverJs() });
    // The first v2 worker went through, so a v1 worker was retired; the second v2 worker is held.
    await waitUntil(() => gate.waitingPids().length === 1, 20_000, 'the second v2 worker to wait at the boot gate');
    await waitUntil(() => v1Workers.some((worker) => !holdsFd(worker, 3)), 10_000, 'the retired v1 worker to leave the cluster (IPC fd 3 closed)');
    const retired = v1Workers.filter((worker) => !holdsFd(worker, 3));
    expect(retired.some(isGone)).toBe(false);

    const children = await r.kill(agent);
    expect(children).toEqual(expect.arrayContaining(retired));
    await expectCleanDeath(r, children, ['v1', 'v2']);
  });
});
