import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { request } from 'node:http';
import { startSsmEmulator, type SsmEmulator } from '../../../support/ssm/ssm-emulator';

/** The emulator against the unmodified SDK client (and one raw request): the wire protocol of GetParameters. */
describe('SSM emulator: GetParameters over AWS JSON 1.1', () => {
  let ssm: SsmEmulator;
  let client: SSMClient;
  beforeEach(async () => {
    ssm = await startSsmEmulator();
    client = new SSMClient({ region: 'us-east-1', endpoint: ssm.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  afterEach(async () => {
    client.destroy();
    await ssm.stop();
  });

  it('answers Parameters and InvalidParameters, decrypting SecureStrings only WithDecryption', async () => {
    ssm.put('/a/secure', { value: 's3cret' });
    ssm.put('/a/plain', { value: 'open', type: 'String' });

    const decrypted = await client.send(new GetParametersCommand({ Names: ['/a/secure', '/a/plain', '/a/missing'], WithDecryption: true }));
    const raw = await client.send(new GetParametersCommand({ Names: ['/a/secure'] }));

    expect(decrypted.Parameters?.map((p) => [p.Name, p.Type, p.Value])).toEqual([
      ['/a/secure', 'SecureString', 's3cret'],
      ['/a/plain', 'String', 'open'],
    ]);
    expect(decrypted.InvalidParameters).toEqual(['/a/missing']);
    expect(decrypted.Parameters?.[0]?.ARN).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/a/secure');
    expect(decrypted.Parameters?.[0]?.LastModifiedDate).toBeInstanceOf(Date);
    expect(raw.Parameters?.[0]?.Value).not.toBe('s3cret');
    expect(ssm.requests.map((r) => [r.target, r.signed, r.withDecryption])).toEqual([
      ['AmazonSSM.GetParameters', true, true],
      ['AmazonSSM.GetParameters', true, false],
    ]);
  });

  it('refuses more than 10 names with a ValidationException, and a denied prefix with AccessDeniedException', async () => {
    ssm.deny('/secret-team/');
    const eleven = Array.from({ length: 11 }, (_, i) => `/a/p${i}`);

    await expect(client.send(new GetParametersCommand({ Names: eleven }))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new GetParametersCommand({ Names: ['/secret-team/key'] }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:123456789012:parameter\/secret-team\/key/),
    });
  });

  it('refuses an unsigned request', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(ssm.endpoint);
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"Names":["/a"]}');
    });

    expect(status).toBe(400);
    expect(ssm.requests[0]).toMatchObject({ signed: false, status: 400 });
  });
});
