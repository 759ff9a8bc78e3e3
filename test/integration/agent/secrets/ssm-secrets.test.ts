import type { SSMClient } from '@aws-sdk/client-ssm';
import { createSsmClient } from '../../../../agent/secrets/ssm-client';
import { SsmSecrets } from '../../../../agent/secrets/ssm-secrets';
import { startSsmEmulator, type SsmEmulator } from '../../../support/ssm/ssm-emulator';

/** The unmodified SSM client against the emulator, which speaks GetParameters' real wire protocol (AWS JSON 1.1). */
describe('SsmSecrets: release secrets from SSM Parameter Store', () => {
  let ssm: SsmEmulator;
  let client: SSMClient;
  const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  const saved = { ...process.env };

  beforeEach(async () => {
    Object.assign(process.env, env);
    ssm = await startSsmEmulator();
    client = createSsmClient({ region: 'us-east-1', endpoint: ssm.endpoint });
  });
  afterEach(async () => {
    client.destroy();
    await ssm.stop();
    process.env = { ...saved };
  });

  it('reads 23 SecureStrings decrypted, in signed GetParameters calls of at most 10 names', async () => {
    const refs: Record<string, string> = {};
    for (let i = 0; i < 23; i++) {
      ssm.put(`/app/prod/s${i}`, { value: `value-${i}` });
      refs[`S${i}`] = `ssm:/app/prod/s${i}`;
    }

    const values = await new SsmSecrets(client).resolve(refs);

    expect(values).toEqual(Object.fromEntries(Object.keys(refs).map((k, i) => [k, `value-${i}`])));
    expect(ssm.requests.map((r) => r.names.length)).toEqual([10, 10, 3]);
    for (const r of ssm.requests) expect(r).toMatchObject({ target: 'AmazonSSM.GetParameters', withDecryption: true, signed: true, status: 200 });
  });

  it('fails with SECRET_NOT_FOUND naming the parameter and the key when SSM lists it as invalid', async () => {
    ssm.put('/app/prod/present', { value: 'p' });

    const failure = new SsmSecrets(client).resolve({ PRESENT: 'ssm:/app/prod/present', DB_PASSWORD: 'ssm:/app/prod/missing' });

    await expect(failure).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', message: expect.stringMatching(/\/app\/prod\/missing \(secret DB_PASSWORD\) does not exist/) });
  });

  it('fails with SECRET_ACCESS_DENIED naming the parameter and the IAM action on AccessDeniedException', async () => {
    ssm.put('/other-team/key', { value: 'k' });
    ssm.deny('/other-team/');

    const failure = new SsmSecrets(client).resolve({ KEY: 'ssm:/other-team/key' });

    await expect(failure).rejects.toMatchObject({ code: 'SECRET_ACCESS_DENIED', message: expect.stringMatching(/access denied reading SSM parameter \/other-team\/key: the instance role needs ssm:GetParameters/) });
    expect(ssm.requests.at(-1)?.status).toBe(400);
  });

  it('retries a throttled call (the client is set to 4 attempts) and then succeeds', async () => {
    ssm.put('/app/x', { value: 'x' });
    ssm.throttle(2);

    await expect(new SsmSecrets(client).resolve({ X: 'ssm:/app/x' })).resolves.toEqual({ X: 'x' });
    expect(ssm.requests.map((r) => r.status)).toEqual([400, 400, 200]);
  });

  it('gives up with SECRETS_UNAVAILABLE (tried again later) when SSM keeps throttling', async () => {
    ssm.put('/app/x', { value: 'x' });
    ssm.throttle(10);

    await expect(new SsmSecrets(client).resolve({ X: 'ssm:/app/x' })).rejects.toMatchObject({ code: 'SECRETS_UNAVAILABLE' });
    expect(ssm.requests).toHaveLength(4);
  });
});
