import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { startS3Server, type S3Server } from '../../../support/s3-server';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

describe('deploy-agent on an S3 store', () => {
  let s3: S3Server;
  let h: AgentHarness | undefined;
  let bucket = 0;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(): Promise<AgentHarness> {
    const name = `fleet-${++bucket}`;
    await s3.bucket(name);
    const harness = await startAgentHarness(
      { store: `s3://${name}/app`, s3: s3.options, pollIntervalMs: 200 },
      {
        store: `s3://${name}/app`,
        cliEnv: { DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1' },
      },
    );
    await harness.push('v1');
    await harness.agent.start();
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v1', 20_000, 'the agent to serve v1 from S3');
    await harness.agent.settled();
    return harness;
  }

  function rawPut(key: string, body: string): Promise<unknown> {
    const client = new S3Client({ ...s3.options, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const name = `fleet-${bucket}`;
    return client.send(new PutObjectCommand({ Bucket: name, Key: `app/${key}`, Body: body })).finally(() => client.destroy());
  }

  it('converges to a version pushed with deployctl, and polls with If-None-Match (304) in between', async () => {
    h = await start();
    s3.clearRequests();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const polls = s3.requests.filter((r) => r.key.endsWith('desired.json') && r.operation === 'GetObject');
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.every((r) => r.ifNoneMatch !== undefined)).toBe(true);
    // Nothing changed in between: the server answers the polls with 304 Not Modified.
    expect(polls.filter((r) => r.status === 304).length).toBeGreaterThanOrEqual(2);

    await h.push('v2');
    await waitUntil(async () => (await servedVersion(h?.port ?? 0)) === 'v2', 20_000, 'the agent to serve v2');
  });

  it('keeps serving through a store outage, says so once, and picks up a push made after it', async () => {
    h = await start();
    await s3.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await servedVersion(h.port)).toBe('v1');
    const outageLogs = h.logs.filter((l) => l.msg === 'cannot read desired.json; keeping the current release');
    expect(outageLogs).toHaveLength(1);
    expect(String(outageLogs[0]?.err)).toMatch(/fleet-\d+/);

    await s3.start();
    await waitUntil(() => h?.logs.some((l) => l.msg === 'release store readable again') ?? false, 20_000, 'the agent to see the store again');
    await h.push('v2');
    await waitUntil(async () => (await servedVersion(h?.port ?? 0)) === 'v2', 20_000, 'the agent to serve v2 after the outage');
  });

  it('names a malformed desired.json once and keeps the current release', async () => {
    h = await start();
    await rawPut('desired.json', '{"version": "v2", "strategy": "sideways"}');
    await waitUntil(() => h?.logs.some((l) => l.code === 'STORE_DOCUMENT_INVALID') ?? false, 10_000, 'the invalid desired.json to be logged');
    const logged = h.logs.filter((l) => l.code === 'STORE_DOCUMENT_INVALID');
    expect(String(logged[0]?.err)).toMatch(/desired\.json .* invalid at strategy/);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.logs.filter((l) => l.code === 'STORE_DOCUMENT_INVALID')).toHaveLength(1);
    expect(await servedVersion(h.port)).toBe('v1');
  });

  it('refuses a manifest whose artifact is missing, with the reason in state, and keeps v1', async () => {
    h = await start();
    const manifest = {
      version: 'v9',
      artifact: 'releases/v9.tar.gz',
      sha256: 'a'.repeat(64),
      size: 123,
      createdAt: new Date().toISOString(),
      createdBy: 'test',
    };
    await rawPut('releases/v9.json', JSON.stringify(manifest));
    await rawPut('desired.json', JSON.stringify({ version: 'v9', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: 'v1' }));
    await waitUntil(() => h?.agent.status.agent?.failed?.version === 'v9', 20_000, 'the agent to give up on v9');
    await h.agent.settled();
    expect(h.agent.status.agent?.lastDeploy).toMatchObject({ version: 'v9', result: 'failed', errorCode: 'STORE_NOT_FOUND' });
    expect(h.agent.status.agent?.failed?.reason).toMatch(/releases\/v9\.tar\.gz/);
    expect(await servedVersion(h.port)).toBe('v1');
  });
});
