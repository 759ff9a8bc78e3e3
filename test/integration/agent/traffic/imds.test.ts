import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchInstanceId } from '../../../../agent/traffic/imds';
import { startFakeImds, type FakeImds } from '../../../support/fake-imds';

describe('the instance id from IMDSv2', () => {
  let imds: FakeImds | undefined;
  afterEach(async () => {
    await imds?.stop();
    imds = undefined;
  });

  it('gets a session token with PUT, then the instance id with it', async () => {
    imds = await startFakeImds('i-0123456789abcdef0');
    await expect(fetchInstanceId({ endpoint: imds.endpoint })).resolves.toBe('i-0123456789abcdef0');
    expect(imds.requests).toEqual([
      { method: 'PUT', path: '/latest/api/token', token: undefined },
      { method: 'GET', path: '/latest/meta-data/instance-id', token: 'token-1' },
    ]);
  });

  it('says to set instanceId when nothing answers (off EC2)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetchInstanceId({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 500 })).rejects.toMatchObject({
      code: 'IMDS_UNAVAILABLE',
      message: expect.stringMatching(/PUT \/latest\/api\/token: .*ECONNREFUSED.*set "instanceId"/),
    });
  });

  it('refuses an answer that is not an instance id', async () => {
    imds = await startFakeImds('<html>captive portal</html>');
    await expect(fetchInstanceId({ endpoint: imds.endpoint })).rejects.toMatchObject({ code: 'IMDS_UNEXPECTED' });
  });
});
