import { startFaultRig, type FaultRig } from '../support/fault-rig';
import { incompleteReleases, readStateFile, releaseVersions, tempLeftovers, currentVersion } from '../support/release-invariants';
import { startS3Server, type S3Server } from '../support/s3-server';
import { fileSizeLimit, mountTmpfs, smallDisk, type SmallDisk } from '../support/small-disk';
import { servedVersion, type SpawnedAgent } from '../support/spawned-agent';
import { waitUntil } from '../support/with-timeout';

/** The room the releases dir has (tmpfs size, or largest file): v1 fits many times over, v2 does not. */
const ROOM_BYTES = 8 * 1024 * 1024;
/** v2's one big file: compresses to almost nothing, so the artifact is small and the unpack is what fills the disk. */
const BIG_FILE_BYTES = 3 * ROOM_BYTES;
/** Where no tmpfs can be mounted, a full disk is a limit no file can be written under. */
const NO_ROOM_BYTES = 16;
/** After a restart the app must answer this soon (current is served before anything is written). */
const SERVES_WITHIN_MS = 5_000;

describe('the releases dir filling up during an unpack', () => {
  let s3: S3Server;
  let rig: FaultRig | undefined;
  let disk: SmallDisk | undefined;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop();
  });
  afterEach(async () => {
    const mounted = disk;
    await rig?.close(() => {
      if (mounted?.kind === 'tmpfs') mounted.unmount();
    });
    rig = undefined;
    disk = undefined;
  });

  async function expectRefusedCleanly(r: FaultRig, d: SmallDisk): Promise<void> {
    const agent = r.spawn(d.kind === 'file-size-limit' ? { wrapper: d.wrapper } : {});
    await waitUntil(() => agent.logs.some((l) => l.msg === 'v1 is live'), 20_000, 'the agent to make v1 live');
    const usedBefore = d.kind === 'tmpfs' ? d.usedBytes() : 0;

    await r.push('v2', { 'big.bin': Buffer.alloc(BIG_FILE_BYTES, 'a') });
    const failure = (): Record<string, unknown> | undefined => agent.logs.find((l) => l.level === 'error' && l.version === 'v2');
    await waitUntil(() => failure() !== undefined, 30_000, 'the agent to fail the deploy of v2');

    // A clear error: the code, what failed (the errno) and what to do.
    const errno = d.kind === 'tmpfs' ? 'ENOSPC' : 'EFBIG';
    expect(failure()).toMatchObject({ code: 'UNPACK_IO_FAILED', serving: 'v1' });
    expect(String(failure()?.err)).toContain(errno);
    expect(String(failure()?.err)).toMatch(/free disk space/);
    // Idle, the failure recorded (not retried until desired.json changes), v1 serving, nothing partial left.
    expect(readStateFile(r.releasesDir)).toMatchObject({
      state: 'idle',
      current: 'v1',
      failed: { version: 'v2' },
      lastDeploy: { version: 'v2', result: 'failed', errorCode: 'UNPACK_IO_FAILED' },
    });
    expect(tempLeftovers(r.releasesDir)).toEqual([]);
    expect(releaseVersions(r.releasesDir)).toEqual(['v1']);
    expect(await incompleteReleases(r.releasesDir, r.sourceOf)).toEqual([]);
    expect(currentVersion(r.releasesDir)).toBe('v1');
    expect(await servedVersion(r.port)).toBe('v1');
    if (d.kind === 'tmpfs') expect(d.usedBytes() - usedBefore).toBeLessThan(ROOM_BYTES / 8);
    await waitUntil(async () => (await r.report())?.lastDeploy?.version === 'v2', 10_000, 'the status report to carry the failure');
    const report = await r.report();
    expect(report).toMatchObject({ running: 'v1', state: 'idle', lastDeploy: { version: 'v2', result: 'failed' } });
    expect(report?.lastDeploy?.error).toContain(errno);
    expect(report?.workers).toEqual({ ready: 2, total: 2 });
  }

  it('on a small tmpfs (a file-size limit where mounting is not allowed): a clear error, no partial files, v1 serving', async () => {
    const r = await startFaultRig(s3);
    rig = r;
    disk = smallDisk(r.releasesDir, ROOM_BYTES);
    await r.push('v1');
    await expectRefusedCleanly(r, disk);
  });

  it('under a file-size limit (RLIMIT_FSIZE): a clear error, no partial files, v1 serving', async () => {
    const r = await startFaultRig(s3);
    rig = r;
    disk = fileSizeLimit(ROOM_BYTES);
    await r.push('v1');
    await expectRefusedCleanly(r, disk);
  });

  it('already full: a restarted agent serves current, a deploy fails with STATE_WRITE_FAILED, the next push deploys once there is room', async () => {
    const r = await startFaultRig(s3);
    rig = r;
    const tmpfs = mountTmpfs(r.releasesDir, ROOM_BYTES);
    disk = tmpfs;
    await r.push('v1');
    let agent: SpawnedAgent = r.spawn();
    await waitUntil(() => agent.logs.some((l) => l.msg === 'v1 is live'), 20_000, 'the agent to make v1 live');
    await r.kill(agent);

    // The disk fills up (or, without a tmpfs, no file can grow past NO_ROOM_BYTES), and the agent restarts.
    if (tmpfs?.kind === 'tmpfs') tmpfs.fill();
    agent = r.spawn(tmpfs?.kind === 'tmpfs' ? {} : { wrapper: fileSizeLimit(NO_ROOM_BYTES).wrapper });
    const errno = tmpfs?.kind === 'tmpfs' ? 'ENOSPC' : 'EFBIG';
    await waitUntil(async () => (await servedVersion(r.port)) === 'v1', SERVES_WITHIN_MS, 'the restarted agent to serve v1 on a full disk');
    const full = agent;
    await waitUntil(() => full.logs.some((l) => l.msg === 'serving v1 (current)'), 10_000, "the agent's 'serving v1 (current)' log");
    expect(agent.logs).toContainEqual(expect.objectContaining({ level: 'error', code: 'STATE_WRITE_FAILED', msg: 'cannot write state.json; serving current anyway' }));

    await r.push('v2');
    const failure = (): Record<string, unknown> | undefined => full.logs.find((l) => l.level === 'error' && l.version === 'v2');
    await waitUntil(() => failure() !== undefined, 30_000, 'the agent to fail the deploy of v2');
    expect(failure()).toMatchObject({ code: 'STATE_WRITE_FAILED', serving: 'v1' });
    expect(String(failure()?.err)).toContain(errno);
    await waitUntil(async () => (await r.report())?.lastDeploy?.version === 'v2', 10_000, 'the status report to carry the failure');
    expect(await r.report()).toMatchObject({ running: 'v1', state: 'idle', lastDeploy: { version: 'v2', result: 'failed' } });
    expect(await servedVersion(r.port)).toBe('v1');
    expect(tempLeftovers(r.releasesDir)).toEqual([]);

    // Room again: the same agent (a tmpfs emptied under it) or a restart without the limit takes the next push.
    if (tmpfs?.kind === 'tmpfs') tmpfs.free();
    else {
      await r.kill(agent);
      agent = r.spawn();
    }
    await r.push('v3');
    await r.converged('v3', 30_000);
    expect(await servedVersion(r.port)).toBe('v3');
    expect(readStateFile(r.releasesDir)).toMatchObject({ state: 'idle', current: 'v3', previous: 'v1' });
  });
});
