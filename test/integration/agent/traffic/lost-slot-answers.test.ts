import type { DeployError } from '../../../../agent/errors';
import { S3_MAX_ATTEMPTS } from '../../../../agent/store/s3-client';
import { S3Store } from '../../../../agent/store/s3-store';
import type { HeldSlot } from '../../../../agent/store/slot-store';
import { SlotKeeper } from '../../../../agent/traffic/slot-keeper';
import { waitForSlot } from '../../../../agent/traffic/wait-for-slot';
import { startLossyS3Proxy, type LossyS3Proxy, type ProxiedRequest } from '../../../support/lossy-s3-proxy';
import { startS3Server, type S3Server } from '../../../support/s3-server';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/**
 * Taking and keeping a service-out slot through an S3 client whose answers
 * are lost after the write landed (the SDK's retries spent): the agent never
 * waits for its own slot, never holds two, and never takes its own renewal
 * for a lost slot.
 */
const BUCKET = 'fleet-releases';
const PREFIX = 'prod';
const WAIT_MS = 20_000;

describe('service-out slots through an S3 store that loses answers', () => {
  let server: S3Server;
  let proxy: LossyS3Proxy;
  let store: S3Store;
  let direct: S3Store;
  let keeper: SlotKeeper | undefined;
  beforeEach(async () => {
    server = await startS3Server();
    await server.bucket(BUCKET);
    proxy = await startLossyS3Proxy(server.port);
    store = new S3Store(BUCKET, PREFIX, proxy.options);
    direct = new S3Store(BUCKET, PREFIX, server.options);
  });
  afterEach(async () => {
    await keeper?.release();
    keeper = undefined;
    await proxy.close();
    await server.stop();
  });

  const putOf = (index: number) => (request: ProxiedRequest) => request.method === 'PUT' && request.key === `${PREFIX}/locks/slot-${index}.json`;

  it.each([1, 2])(
    'waitForSlot (maxUnavailable %i): a take whose answers were all lost carries on with its own slot, long before its lease ends, and holds one slot only',
    async (maxUnavailable) => {
      const lost = proxy.loseAnswers(putOf(0), S3_MAX_ATTEMPTS);
      const adopted: HeldSlot[] = [];
      const slot = await withTimeout(
        waitForSlot({
          slots: store.slots,
          maxUnavailable,
          holder: 'i-me',
          version: 'v2',
          leaseMs: 10 * 60_000,
          pollMs: 50,
          timeoutMs: WAIT_MS,
          onOwnSlot: (own) => adopted.push(own),
        }),
        WAIT_MS + 5_000,
        'waitForSlot to take a slot',
      );

      expect(lost.lost).toBe(S3_MAX_ATTEMPTS);
      expect(slot).toMatchObject({ index: 0, lease: { holder: 'i-me' } });
      expect(adopted).toEqual([slot]);
      await expect(direct.slots.listSlots()).resolves.toEqual([slot]);
    },
    60_000,
  );

  it('waitForSlot: a take whose answers were all lost, then the wait times out: the slot it took is given back, not left to hold the fleet up for a lease', async () => {
    const lost = proxy.loseAnswers(putOf(0), S3_MAX_ATTEMPTS);
    const waiting = waitForSlot({ slots: store.slots, maxUnavailable: 1, holder: 'i-me', version: 'v2', leaseMs: 10 * 60_000, pollMs: 50, timeoutMs: 1 });

    await expect(withTimeout(waiting, WAIT_MS, 'waitForSlot to time out')).rejects.toMatchObject({ code: 'SLOT_TIMEOUT' });
    expect(lost.lost).toBe(S3_MAX_ATTEMPTS); // the take did land
    await expect(direct.slots.listSlots()).resolves.toEqual([]);
  }, 60_000);

  it('SlotKeeper: a renewal that landed with every answer lost is not a lost slot; renewing goes on from its ETag', async () => {
    const leaseMs = 6_000;
    const slot = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-me', version: 'v2', leaseMs });
    if (slot === undefined) throw new Error('no slot');
    const lostSlots: DeployError[] = [];
    const warnings: string[] = [];
    const lost = proxy.loseAnswers(putOf(0), S3_MAX_ATTEMPTS);
    keeper = new SlotKeeper({ slots: store.slots, slot, leaseMs, onLost: (error) => lostSlots.push(error), log: { warn: (_f, message) => warnings.push(message) } });

    await withTimeout(lost.done, WAIT_MS, 'the first renewal to lose every answer');
    const [landed] = await direct.slots.listSlots();
    await waitUntil(async () => (await direct.slots.listSlots())[0]?.etag !== landed?.etag, WAIT_MS, 'a renewal after the lost one to land');

    expect(lostSlots).toEqual([]);
    expect(keeper.holding).toBe(true);
    expect(warnings).toEqual([expect.stringContaining('renewing service-out slot locks/slot-0.json failed; trying again')]);
    const [stored] = await direct.slots.listSlots();
    expect(stored?.lease).toMatchObject({ holder: 'i-me', acquiredAt: slot.lease.acquiredAt });
    await keeper.release();
    await expect(direct.slots.listSlots()).resolves.toEqual([]);
  }, 60_000);
});
