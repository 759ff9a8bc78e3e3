import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startFaultRig, type FaultRig } from '../support/fault-rig';
import { currentVersion, incompleteReleases, readStateFile, releaseVersions, tempLeftovers } from '../support/release-invariants';
import { startS3Server, type S3Server } from '../support/s3-server';
import { servedVersion, type SpawnedAgent } from '../support/spawned-agent';
import { waitUntil, withTimeout } from '../support/with-timeout';

/** The agent polls every POLL_MS; an outage is watched for this many polls (to see that it is logged once). */
const POLL_MS = 200;
const POLLS_WATCHED = 10;
/** The SDK retries a failed call (4 tries, backoff) before the agent sees the failure. */
const FAILURE_SEEN_WITHIN_MS = 30_000;
const CONVERGES_WITHIN_MS = 30_000;

const OUTAGE_LOG = 'cannot read desired.json; keeping the current release';
const REPORT_OUTAGE_LOG = 'cannot write the status report; the agent carries on and tries again';

describe('the S3 store going away under a running agent', () => {
  let s3: S3Server;
  let rig: FaultRig | undefined;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop();
  });
  afterEach(async () => {
    await s3.start(); // a test that failed mid-outage must not take the store from the next one
    await rig?.close();
    rig = undefined;
  });

  async function servingV1(): Promise<{ rig: FaultRig; agent: SpawnedAgent }> {
    const started = await startFaultRig(s3, { pollIntervalMs: POLL_MS });
    rig = started;
    await started.push('v1');
    const agent = started.spawn();
    await waitUntil(() => agent.logs.some((l) => l.msg === 'v1 is live'), 20_000, 'the agent to make v1 live');
    return { rig: started, agent };
  }

  /** Checks that v1 answers, again and again, for POLLS_WATCHED poll intervals of the agent. */
  async function expectServingV1Throughout(r: FaultRig): Promise<void> {
    const until = Date.now() + POLLS_WATCHED * POLL_MS;
    while (Date.now() < until) {
      expect(await servedVersion(r.port)).toBe('v1');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS / 2));
    }
  }

  const count = (agent: SpawnedAgent, msg: string): number => agent.logs.filter((l) => l.msg === msg).length;

  it('stopped during a poll: logs the outage once, keeps serving, and converges once the store is back', async () => {
    const { rig: r, agent } = await servingV1();
    const poll = s3.stall((request) => request.operation === 'GetObject' && request.key === 'app/desired.json');
    await withTimeout(poll.reached, 10_000, 'a poll of desired.json to reach the store');
    await s3.stop();

    await waitUntil(() => count(agent, OUTAGE_LOG) > 0, FAILURE_SEEN_WITHIN_MS, 'the agent to log the outage');
    await expectServingV1Throughout(r);
    expect(agent.logs.find((l) => l.msg === OUTAGE_LOG)).toMatchObject({ level: 'error', code: 'STORE_UNAVAILABLE' });
    expect(count(agent, OUTAGE_LOG)).toBe(1);
    expect(count(agent, REPORT_OUTAGE_LOG)).toBeLessThanOrEqual(1);

    await s3.start();
    await waitUntil(() => agent.logs.some((l) => l.msg === 'release store readable again'), FAILURE_SEEN_WITHIN_MS, 'the agent to read the store again');
    await r.push('v2');
    await r.converged('v2', CONVERGES_WITHIN_MS);
    expect(await servedVersion(r.port)).toBe('v2');
    expect(count(agent, OUTAGE_LOG)).toBe(1);
  });

  it('stopped during a download: the deploy fails cleanly, v1 keeps serving, and v2 is deployed once the store is back', async () => {
    const { rig: r, agent } = await servingV1();
    const download = s3.stall((request) => request.operation === 'GetObject' && request.key === 'app/releases/v2.tar.gz', {
      afterBytes: 64 * 1024,
    });
    await r.push('v2', { 'blob.bin': randomBytes(1024 * 1024) });
    await withTimeout(download.reached, 20_000, 'the agent to download the first 64 KiB of v2');
    const releases = path.join(r.releasesDir, 'releases');
    await waitUntil(() => readdirSync(releases).some((name) => name.startsWith('.unpack-v2-')), 10_000, 'v2 to be unpacking into a temp dir');
    await s3.stop();

    const failed = (): Record<string, unknown> | undefined => agent.logs.find((l) => l.level === 'error' && l.version === 'v2');
    await waitUntil(() => failed() !== undefined, FAILURE_SEEN_WITHIN_MS, 'the agent to give up this try of v2');
    expect(failed()).toMatchObject({ code: 'ARTIFACT_READ_FAILED', serving: 'v1', attempt: 1 });
    await expectServingV1Throughout(r);
    expect(tempLeftovers(r.releasesDir)).toEqual([]);
    expect(releaseVersions(r.releasesDir)).toEqual(['v1']);
    // Not the release's fault: v2 is not remembered as failed, it is tried again once the store answers.
    expect(readStateFile(r.releasesDir)).toMatchObject({ state: 'idle', current: 'v1', failed: null, lastDeploy: { version: 'v1', result: 'succeeded' } });
    expect(count(agent, OUTAGE_LOG)).toBeLessThanOrEqual(1);

    await s3.start();
    await r.converged('v2', CONVERGES_WITHIN_MS);
    expect(await servedVersion(r.port)).toBe('v2');
    expect(await incompleteReleases(r.releasesDir, r.sourceOf)).toEqual([]);
    expect(currentVersion(r.releasesDir)).toBe('v2');
    expect(readStateFile(r.releasesDir)).toMatchObject({ state: 'idle', current: 'v2', failed: null });
  });

  it('stopped while the manifest is read: the deploy is tried again once the store is back, and completes', async () => {
    const { rig: r, agent } = await servingV1();
    // The agent's read of the manifest, not the push's own check: the one after desired.json was written.
    s3.clearRequests();
    const desiredWritten = (): boolean => s3.requests.some((seen) => seen.operation === 'PutObject' && seen.key === 'app/desired.json');
    const manifest = s3.stall((request) => request.operation === 'GetObject' && request.key === 'app/releases/v2.json' && desiredWritten());
    await r.push('v2');
    await withTimeout(manifest.reached, 20_000, 'the agent to read the v2 manifest');
    await s3.stop();

    const failed = (): Record<string, unknown> | undefined => agent.logs.find((l) => l.level === 'error' && l.version === 'v2');
    await waitUntil(() => failed() !== undefined, FAILURE_SEEN_WITHIN_MS, 'the agent to give up the first try of v2');
    expect(failed()).toMatchObject({ code: 'STORE_UNAVAILABLE', serving: 'v1', attempt: 1 });
    expect(readStateFile(r.releasesDir)).toMatchObject({ state: 'idle', current: 'v1', failed: null });
    await s3.start();
    await r.converged('v2', CONVERGES_WITHIN_MS);
    expect(readStateFile(r.releasesDir)).toMatchObject({ state: 'idle', current: 'v2', failed: null });
  });
});
