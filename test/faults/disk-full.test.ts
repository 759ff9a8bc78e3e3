import { startFaultRig, type FaultRig } from '../support/fault-rig';
import { incompleteReleases, readStateFile, releaseVersions, tempLeftovers, currentVersion } from '../support/release-invariants';
import { startS3Server, type S3Server } from '../support/s3-server';
import { fileSizeLimit, smallDisk, type SmallDisk } from '../support/small-disk';
import { servedVersion } from '../support/spawned-agent';
import { waitUntil } from '../support/with-timeout';

/** The room the releases dir has (tmpfs size, or largest file): v1 fits many times over, v2 does not. */
const ROOM_BYTES = 8 * 1024 * 1024;
/** v2's one big file: compresses to almost nothing, so the artifact is small and the unpack is what fills the disk. */
const BIG_FILE_BYTES = 3 * ROOM_BYTES;

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
});
