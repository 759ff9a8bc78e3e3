import type { HeldSlot, SlotStore } from '../../../../agent/store/slot-store';
import { waitUntil } from '../../../support/with-timeout';
import { backends, type Backend } from './store-backends';

const LEASE_MS = 60_000;
const RACERS = 12;

/** Runs `fn` and returns what it threw (undefined if it did not). */
async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const request = (holder: string, overrides: { maxUnavailable?: number; leaseMs?: number; version?: string } = {}) => ({
  maxUnavailable: overrides.maxUnavailable ?? 1,
  holder,
  version: overrides.version ?? 'v2',
  leaseMs: overrides.leaseMs ?? LEASE_MS,
});

/** Resolves once the lease of `slot` lies in the past (by this process's clock, the one the store uses). */
async function expired(slot: HeldSlot): Promise<void> {
  const expiresMs = Date.parse(slot.lease.expiresAt);
  await waitUntil(() => Date.now() > expiresMs, 5_000, `the lease of ${slot.key} (until ${slot.lease.expiresAt}) to expire`, 2);
}

/** The service-out slot protocol (DESIGN §4), run against every backend of store-backends.ts. */
describe.each(backends)('SlotStore protocol: %s', (_name, makeBackend) => {
  let backend: Backend;
  let slots: SlotStore;
  beforeEach(async () => {
    backend = await makeBackend();
    slots = backend.store.slots;
  });
  afterEach(() => backend.cleanup());

  it('gives a free slot to the first holder, with its lease, and lists it', async () => {
    const before = Date.now();
    const slot = await slots.tryAcquireSlot(request('i-aaa', { version: 'v7' }));
    expect(slot).toMatchObject({ index: 0, key: 'locks/slot-0.json', lease: { holder: 'i-aaa', version: 'v7' } });
    expect(slot?.etag).toEqual(expect.any(String));
    const expiresMs = Date.parse(slot?.lease.expiresAt ?? '');
    expect(expiresMs - Date.parse(slot?.lease.acquiredAt ?? '')).toBe(LEASE_MS);
    expect(Date.parse(slot?.lease.acquiredAt ?? '')).toBeGreaterThanOrEqual(before);
    await expect(slots.listSlots()).resolves.toEqual([slot]);
    expect(await backend.listKeys()).toEqual(['locks/slot-0.json']);
  });

  it('of many holders racing for one slot, exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => slots.tryAcquireSlot(request(`i-racer-${i}`))));
    const winners = results.filter((slot): slot is HeldSlot => slot !== undefined);
    expect(winners).toHaveLength(1);
    await expect(slots.listSlots()).resolves.toEqual([winners[0]]);
  });

  it('with maxUnavailable 2 gives slot-0 and slot-1 to two holders and none to a third', async () => {
    const first = await slots.tryAcquireSlot(request('i-aaa', { maxUnavailable: 2 }));
    const second = await slots.tryAcquireSlot(request('i-bbb', { maxUnavailable: 2 }));
    const third = await slots.tryAcquireSlot(request('i-ccc', { maxUnavailable: 2 }));
    expect(first).toMatchObject({ index: 0, lease: { holder: 'i-aaa' } });
    expect(second).toMatchObject({ index: 1, key: 'locks/slot-1.json', lease: { holder: 'i-bbb' } });
    expect(third).toBeUndefined();
    expect((await slots.listSlots()).map((slot) => slot.lease.holder)).toEqual(['i-aaa', 'i-bbb']);
  });

  it('with maxUnavailable 3 and many racers, hands out each slot exactly once', async () => {
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => slots.tryAcquireSlot(request(`i-racer-${i}`, { maxUnavailable: 3 }))));
    const winners = results.filter((slot): slot is HeldSlot => slot !== undefined);
    expect(winners.map((slot) => slot.index).sort()).toEqual([0, 1, 2]);
    expect(new Set(winners.map((slot) => slot.lease.holder)).size).toBe(3);
  });

  it('does not take over a live lease', async () => {
    const held = await slots.tryAcquireSlot(request('i-aaa'));
    await expect(slots.tryAcquireSlot(request('i-bbb'))).resolves.toBeUndefined();
    await expect(slots.listSlots()).resolves.toEqual([held]);
  });

  it('takes over an expired lease; the old holder then cannot renew it (SLOT_LOST) nor release it', async () => {
    const old = await slots.tryAcquireSlot(request('i-old', { leaseMs: 1 }));
    if (old === undefined) throw new Error('the first holder got no slot');
    await expired(old);

    const taker = await slots.tryAcquireSlot(request('i-new'));
    expect(taker).toMatchObject({ index: 0, lease: { holder: 'i-new' } });
    expect(taker?.etag).not.toBe(old.etag);

    const renewError = await caught(() => slots.renewSlot(old, LEASE_MS));
    expect(renewError).toMatchObject({ code: 'SLOT_LOST', message: expect.stringContaining('locks/slot-0.json') });
    await slots.releaseSlot(old);
    await expect(slots.listSlots()).resolves.toEqual([taker]);
  });

  it('of many holders racing to take over one expired lease, exactly one wins', async () => {
    const old = await slots.tryAcquireSlot(request('i-old', { leaseMs: 1 }));
    if (old === undefined) throw new Error('the first holder got no slot');
    await expired(old);
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => slots.tryAcquireSlot(request(`i-racer-${i}`))));
    const winners = results.filter((slot): slot is HeldSlot => slot !== undefined);
    expect(winners).toHaveLength(1);
    await expect(slots.listSlots()).resolves.toEqual([winners[0]]);
  });

  it('takes over a slot object that no agent wrote', async () => {
    await backend.writeRaw('locks/slot-0.json', 'not a lease');
    await expect(slots.tryAcquireSlot(request('i-aaa'))).resolves.toMatchObject({ index: 0, lease: { holder: 'i-aaa' } });
  });

  it('renews: the lease moves forward, the tag changes; an older tag of the same lease (a renewal whose answer was lost) renews from the newest', async () => {
    const held = await slots.tryAcquireSlot(request('i-aaa', { leaseMs: 1_000 }));
    if (held === undefined) throw new Error('no slot');
    const renewed = await slots.renewSlot(held, LEASE_MS);
    expect(renewed).toMatchObject({ index: 0, key: held.key, lease: { holder: 'i-aaa', version: 'v2', acquiredAt: held.lease.acquiredAt } });
    expect(Date.parse(renewed.lease.expiresAt)).toBeGreaterThan(Date.parse(held.lease.expiresAt));
    expect(renewed.etag).not.toBe(held.etag);
    await expect(slots.listSlots()).resolves.toEqual([renewed]);

    // As if the answer to `renewed` had been lost: the holder renews with the tag it still has.
    const adopted = await slots.renewSlot(held, LEASE_MS);
    expect(adopted.lease).toMatchObject({ holder: 'i-aaa', acquiredAt: held.lease.acquiredAt });
    expect(Date.parse(adopted.lease.expiresAt)).toBeGreaterThanOrEqual(Date.parse(renewed.lease.expiresAt));
    await expect(slots.listSlots()).resolves.toEqual([adopted]);
    const again = await slots.renewSlot(adopted, LEASE_MS);
    await expect(slots.listSlots()).resolves.toEqual([again]);
  });

  it('gives back a slot by an older tag of the same lease (a renewal whose answer was lost)', async () => {
    const held = await slots.tryAcquireSlot(request('i-aaa'));
    if (held === undefined) throw new Error('no slot');
    await slots.renewSlot(held, LEASE_MS);
    await slots.releaseSlot(held);
    await expect(slots.listSlots()).resolves.toEqual([]);
  });

  it('a new lease of the same holder is not an old one: its earlier lease cannot renew it (SLOT_LOST)', async () => {
    const first = await slots.tryAcquireSlot(request('i-aaa', { leaseMs: 1 }));
    if (first === undefined) throw new Error('no slot');
    await expired(first);
    const second = await slots.tryAcquireSlot(request('i-aaa'));
    expect(second?.lease.acquiredAt).not.toBe(first.lease.acquiredAt);
    await expect(slots.renewSlot(first, LEASE_MS)).rejects.toMatchObject({ code: 'SLOT_LOST' });
    await expect(slots.listSlots()).resolves.toEqual([second]);
  });

  it('release frees the slot for the next holder; releasing again is a no-op', async () => {
    const held = await slots.tryAcquireSlot(request('i-aaa'));
    if (held === undefined) throw new Error('no slot');
    await slots.releaseSlot(held);
    await expect(slots.listSlots()).resolves.toEqual([]);
    await slots.releaseSlot(held);
    await expect(slots.tryAcquireSlot(request('i-bbb'))).resolves.toMatchObject({ index: 0, lease: { holder: 'i-bbb' } });
  });

  it('renewing a released slot fails with SLOT_LOST', async () => {
    const held = await slots.tryAcquireSlot(request('i-aaa'));
    if (held === undefined) throw new Error('no slot');
    await slots.releaseSlot(held);
    await expect(slots.renewSlot(held, LEASE_MS)).rejects.toMatchObject({ code: 'SLOT_LOST' });
    await expect(slots.listSlots()).resolves.toEqual([]);
  });

  it('lists live and expired slots in slot order, and skips what is not a slot', async () => {
    await expect(slots.listSlots()).resolves.toEqual([]);
    const first = await slots.tryAcquireSlot(request('i-aaa', { maxUnavailable: 3 }));
    const second = await slots.tryAcquireSlot(request('i-bbb', { maxUnavailable: 3, leaseMs: 1 }));
    if (second === undefined) throw new Error('no second slot');
    await expired(second);
    await backend.writeRaw('locks/notes.txt', 'not a slot');
    await backend.writeRaw('locks/slot-7.json', '{"holder": 1}');
    await expect(slots.listSlots()).resolves.toEqual([first, second]);
  });

  it.each([
    ['maxUnavailable 0', { maxUnavailable: 0 }, 'maxUnavailable'],
    ['leaseMs 0', { leaseMs: 0 }, 'leaseMs'],
  ])('refuses %s with INVALID_OPTIONS naming the field', async (_what, overrides, field) => {
    await expect(slots.tryAcquireSlot(request('i-aaa', overrides))).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining(field),
    });
  });
});
