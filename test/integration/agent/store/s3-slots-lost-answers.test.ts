import { S3_MAX_ATTEMPTS } from '../../../../agent/store/s3-client';
import { S3Store } from '../../../../agent/store/s3-store';
import { startLossyS3Proxy, type LossyS3Proxy, type ProxiedRequest } from '../../../support/lossy-s3-proxy';
import { startS3Server, type S3Server } from '../../../support/s3-server';

/**
 * S3 slot writes that landed while every answer to them was lost (the SDK's
 * retries spent): the next call recognises our own lease (same holder and
 * acquiredAt) under the newer ETag and carries on with it, instead of taking
 * it for someone else's (SLOT_LOST, or a give-back that leaves the slot held).
 */
const BUCKET = 'fleet-releases';
const PREFIX = 'prod';
const LEASE_MS = 60_000;

describe('S3Store slots: writes whose answers were lost', () => {
  let server: S3Server;
  let proxy: LossyS3Proxy;
  /** The agent's store, through the proxy that loses answers. */
  let store: S3Store;
  /** The truth, straight from the server. */
  let direct: S3Store;
  beforeEach(async () => {
    server = await startS3Server();
    await server.bucket(BUCKET);
    proxy = await startLossyS3Proxy(server.port);
    store = new S3Store(BUCKET, PREFIX, proxy.options);
    direct = new S3Store(BUCKET, PREFIX, server.options);
  });
  afterEach(async () => {
    await proxy.close();
    await server.stop();
  });

  const slotWrite = (method: 'PUT' | 'DELETE') => (request: ProxiedRequest) => request.method === method && request.key === `${PREFIX}/locks/slot-0.json`;

  async function take() {
    const slot = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-me', version: 'v2', leaseMs: LEASE_MS });
    if (slot === undefined) throw new Error('no slot');
    return slot;
  }

  it('renews after a renewal that landed with every answer lost: adopts its own write instead of SLOT_LOST', async () => {
    const held = await take();
    const lost = proxy.loseAnswers(slotWrite('PUT'), S3_MAX_ATTEMPTS);

    await expect(store.slots.renewSlot(held, LEASE_MS)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(lost.lost).toBe(S3_MAX_ATTEMPTS);
    const [landed] = await direct.slots.listSlots();
    expect(landed?.etag).not.toBe(held.etag); // the first try did land

    const renewed = await store.slots.renewSlot(held, LEASE_MS);
    expect(renewed.lease).toMatchObject({ holder: 'i-me', acquiredAt: held.lease.acquiredAt });
    await expect(direct.slots.listSlots()).resolves.toEqual([renewed]);
    await expect(store.slots.renewSlot(renewed, LEASE_MS)).resolves.toMatchObject({ lease: { holder: 'i-me' } });
  });

  it('gives back a slot whose last renewal landed with every answer lost, instead of leaving it held until its lease ends', async () => {
    const held = await take();
    proxy.loseAnswers(slotWrite('PUT'), S3_MAX_ATTEMPTS);
    await expect(store.slots.renewSlot(held, LEASE_MS)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });

    await store.slots.releaseSlot(held);

    await expect(direct.slots.listSlots()).resolves.toEqual([]);
  });

  it('gives back a slot whose delete landed with its first answer lost (the retry finds it gone)', async () => {
    const held = await take();
    const lost = proxy.loseAnswers(slotWrite('DELETE'), 1);
    await store.slots.releaseSlot(held);
    expect(lost.lost).toBe(1);
    await expect(direct.slots.listSlots()).resolves.toEqual([]);
  });

  it('still says SLOT_LOST for a slot another instance took over, and its give-back leaves that slot alone', async () => {
    const held = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-me', version: 'v2', leaseMs: 1 });
    if (held === undefined) throw new Error('no slot');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const theirs = await direct.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-other', version: 'v3', leaseMs: LEASE_MS });
    expect(theirs?.lease.holder).toBe('i-other');

    await expect(store.slots.renewSlot(held, LEASE_MS)).rejects.toMatchObject({ code: 'SLOT_LOST' });
    await store.slots.releaseSlot(held);
    await expect(direct.slots.listSlots()).resolves.toEqual([theirs]);
  });
});
