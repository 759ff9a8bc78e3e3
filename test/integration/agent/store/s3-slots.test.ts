import { S3Store } from '../../../../agent/store/s3-store';
import { startS3Server, type S3Server, type SeenRequest } from '../../../support/s3-server';
import { waitUntil } from '../../../support/with-timeout';

/**
 * How the S3 backend keeps its slots (the shared protocol is in
 * slot-protocol.test.ts): which conditional request each step sends, and
 * that transient S3 failures are retried rather than taken for a lost race.
 */
const BUCKET = 'fleet-releases';
const PREFIX = 'prod';
const SLOT_KEY = `${PREFIX}/locks/slot-0.json`;

describe('S3Store slots: conditional requests', () => {
  let server: S3Server;
  let store: S3Store;
  beforeEach(async () => {
    server = await startS3Server();
    await server.bucket(BUCKET);
    store = new S3Store(BUCKET, PREFIX, server.options);
  });
  afterEach(() => server.stop());

  const calls = (): Array<Pick<SeenRequest, 'operation' | 'ifMatch' | 'ifNoneMatch' | 'status'>> =>
    server.requests
      .filter((r) => r.key === SLOT_KEY)
      .map(({ operation, ifMatch, ifNoneMatch, status }) => ({ operation, ifMatch, ifNoneMatch, status }));

  it('takes with If-None-Match: *, takes over with If-Match on the ETag read, renews and releases with If-Match', async () => {
    const old = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-old', version: 'v1', leaseMs: 1 });
    if (old === undefined) throw new Error('no slot');
    expect(calls()).toEqual([{ operation: 'PutObject', ifNoneMatch: '*', ifMatch: undefined, status: 200 }]);
    const expiresMs = Date.parse(old.lease.expiresAt);
    await waitUntil(() => Date.now() > expiresMs, 5_000, `the lease of ${old.key} to expire`, 2);

    server.clearRequests();
    const taker = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-new', version: 'v2', leaseMs: 60_000 });
    if (taker === undefined) throw new Error('no takeover');
    expect(calls()).toEqual([
      { operation: 'PutObject', ifNoneMatch: '*', ifMatch: undefined, status: 412 },
      { operation: 'GetObject', ifNoneMatch: undefined, ifMatch: undefined, status: 200 },
      { operation: 'PutObject', ifNoneMatch: undefined, ifMatch: old.etag, status: 200 },
    ]);

    server.clearRequests();
    const renewed = await store.slots.renewSlot(taker, 60_000);
    await store.slots.releaseSlot(old);
    await store.slots.releaseSlot(renewed);
    expect(calls()).toEqual([
      { operation: 'PutObject', ifNoneMatch: undefined, ifMatch: taker.etag, status: 200 },
      { operation: 'DeleteObject', ifNoneMatch: undefined, ifMatch: old.etag, status: 412 },
      // Whose is it now? Another lease (i-new's): nothing to give back.
      { operation: 'GetObject', ifNoneMatch: undefined, ifMatch: undefined, status: 200 },
      { operation: 'DeleteObject', ifNoneMatch: undefined, ifMatch: renewed.etag, status: 204 },
    ]);
    await expect(store.slots.listSlots()).resolves.toEqual([]);
  });

  it('retries a slot write that S3 answered with 503, and takes the slot', async () => {
    server.failNext(2, 503);
    await expect(store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-aaa', version: 'v1', leaseMs: 60_000 })).resolves.toMatchObject({
      lease: { holder: 'i-aaa' },
    });
    expect(calls().map((call) => call.status)).toEqual([503, 503, 200]);
  });

  it('fails with STORE_UNAVAILABLE naming the slot key when S3 is down, not with "held by someone else"', async () => {
    await server.stop();
    await expect(store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-aaa', version: 'v1', leaseMs: 60_000 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('locks/slot-0.json'),
    });
  });
});
