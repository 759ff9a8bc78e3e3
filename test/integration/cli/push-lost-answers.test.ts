import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3_MAX_ATTEMPTS } from '../../../agent/store/s3-client';
import { S3Store } from '../../../agent/store/s3-store';
import { runCli, type CliRun } from '../../support/cli-harness';
import { makeFixtureRelease } from '../../support/fixture-releases';
import { startLossyS3Proxy, type LossyS3Proxy, type ProxiedRequest } from '../../support/lossy-s3-proxy';
import { startS3Server, type S3Server } from '../../support/s3-server';

/**
 * `deployctl push` and `rollback` through an S3 client whose answers are lost
 * after the write landed: a manifest, artifact or desired.json write that is
 * in the store exactly as we wrote it is our own, not STORE_VERSION_EXISTS,
 * STORE_CONFLICT or a failure (and not a reason to delete the release).
 */
const BUCKET = 'releases';
const PREFIX = 'web';
const STORE_URL = `s3://${BUCKET}/${PREFIX}`;

describe('deployctl writes whose answers were lost', () => {
  let work: string;
  let server: S3Server;
  let proxy: LossyS3Proxy;
  let direct: S3Store;
  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-lost-answers-'));
    server = await startS3Server();
    await server.bucket(BUCKET);
    proxy = await startLossyS3Proxy(server.port);
    direct = new S3Store(BUCKET, PREFIX, server.options);
  });
  afterEach(async () => {
    await proxy.close();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  });

  const env = () => ({ DEPLOYCTL_S3_ENDPOINT: proxy.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1' });
  const putOf = (key: string) => (request: ProxiedRequest) => request.method === 'PUT' && request.key === `${PREFIX}/${key}`;
  const push = (version: string): Promise<CliRun> =>
    runCli(['push', version, '--dir', makeFixtureRelease(path.join(work, 'src'), version).dir, '--store', STORE_URL, '--json'], { cwd: work, env: env(), timeoutMs: 60_000 });

  it.each([
    ['its first answer (the SDK retry meets our own write: 412)', 1],
    ['every answer (the SDK retries spent)', S3_MAX_ATTEMPTS],
  ])('push succeeds when the manifest write landed and %s was lost', async (_what, lostCount) => {
    const lost = proxy.loseAnswers(putOf('releases/v1.json'), lostCount);

    const run = await push('v1');

    expect(lost.lost).toBe(lostCount);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.not.stringContaining('deployctl:') });
    expect(await direct.readManifest('v1')).toMatchObject({ version: 'v1', createdBy: 'test@jest' });
    expect((await direct.readDesired())?.value).toMatchObject({ version: 'v1' });
  }, 90_000);

  it('push succeeds when the artifact write landed and its first answer was lost', async () => {
    const lost = proxy.loseAnswers(putOf('releases/v1.tar.gz'), 1);
    const run = await push('v1');
    expect(lost.lost).toBe(1);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.not.stringContaining('deployctl:') });
    expect((await direct.readDesired())?.value).toMatchObject({ version: 'v1' });
  }, 90_000);

  it.each([
    ['its first answer (412 on the retry)', 1],
    ['every answer', S3_MAX_ATTEMPTS],
  ])('push flips desired.json when that conditional write landed and %s was lost: not STORE_CONFLICT', async (_what, lostCount) => {
    expect((await push('v1')).code).toBe(0);
    const lost = proxy.loseAnswers(putOf('desired.json'), lostCount);

    const run = await push('v2');

    expect(lost.lost).toBe(lostCount);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.not.stringContaining('deployctl:') });
    expect((await direct.readDesired())?.value).toMatchObject({ version: 'v2', previous: 'v1' });
  }, 90_000);

  it('rollback succeeds when its desired.json write landed and its answer was lost', async () => {
    expect((await push('v1')).code).toBe(0);
    expect((await push('v2')).code).toBe(0);
    const lost = proxy.loseAnswers(putOf('desired.json'), 1);

    const run = await runCli(['rollback', '--store', STORE_URL], { cwd: work, env: env() });

    expect(lost.lost).toBe(1);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.not.stringContaining('deployctl:') });
    expect((await direct.readDesired())?.value).toMatchObject({ version: 'v1', previous: 'v2' });
  }, 90_000);

  it('still refuses a version that an earlier push stored (STORE_VERSION_EXISTS): same bytes, another createdAt', async () => {
    expect((await push('v1')).code).toBe(0);
    const again = await push('v1');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('STORE_VERSION_EXISTS');
  }, 90_000);
});
