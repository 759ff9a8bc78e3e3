import type { SlotLease, SlotStore } from '../../../../agent/store/slot-store';
import { waitForSlot, type WaitForSlotOptions } from '../../../../agent/traffic/wait-for-slot';
import { waitUntil, withTimeout } from '../../../support/with-timeout';
import { backends, type Backend } from '../store/store-backends';

const LEASE_MS = 60_000;
const WAIT_MS = 10_000;

/** waitForSlot against a real store of each backend, with another "instance" holding the slot. */
describe.each(backends)('waitForSlot: %s', (_name, makeBackend) => {
  let backend: Backend;
  let slots: SlotStore;
  beforeEach(async () => {
    backend = await makeBackend();
    slots = backend.store.slots;
  });
  afterEach(() => backend.cleanup());

  const options = (overrides: Partial<WaitForSlotOptions> = {}): WaitForSlotOptions => ({
    slots,
    maxUnavailable: 1,
    holder: 'i-waiter',
    version: 'v2',
    leaseMs: LEASE_MS,
    pollMs: 10,
    timeoutMs: WAIT_MS * 3,
    ...overrides,
  });

  async function holdSlot(holder: string) {
    const slot = await slots.tryAcquireSlot({ maxUnavailable: 1, holder, version: 'v2', leaseMs: LEASE_MS });
    if (slot === undefined) throw new Error(`${holder} got no slot`);
    return slot;
  }

  it('takes a free slot at once, without waiting', async () => {
    const seen: Array<readonly SlotLease[]> = [];
    const slot = await waitForSlot(options({ onWaiting: (holders) => seen.push(holders) }));
    expect(slot).toMatchObject({ index: 0, lease: { holder: 'i-waiter', version: 'v2' } });
    expect(seen).toEqual([]);
  });

  it('waits while another instance holds the slot and takes it once that one gives it back', async () => {
    const other = await holdSlot('i-other');
    const seen: Array<readonly SlotLease[]> = [];
    const waiting = waitForSlot(options({ onWaiting: (holders) => seen.push(holders) }));
    await waitUntil(() => seen.length >= 2, WAIT_MS, 'waitForSlot to report it is waiting, twice');
    expect(seen[0]).toEqual([other.lease]);
    await expect(slots.listSlots()).resolves.toEqual([other]);

    await slots.releaseSlot(other);
    const slot = await withTimeout(waiting, WAIT_MS, 'waitForSlot to take the released slot');
    expect(slot).toMatchObject({ index: 0, lease: { holder: 'i-waiter' } });
    await expect(slots.listSlots()).resolves.toEqual([slot]);
  });

  it('gives up with SLOT_TIMEOUT naming the holder, its version and the slot', async () => {
    await slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-stuck', version: 'v9', leaseMs: LEASE_MS });
    const error = await waitForSlot(options({ timeoutMs: 50 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SLOT_TIMEOUT' });
    const message = (error as Error).message;
    for (const part of ['i-waiter', 'i-stuck', 'v9', 'locks/slot-0.json', 'maxUnavailable 1', 'slotWaitTimeoutMs']) expect(message).toContain(part);
  });

  it('stops waiting with SLOT_WAIT_ABORTED when the agent stops, and takes no slot', async () => {
    const other = await holdSlot('i-other');
    const stop = new AbortController();
    let waits = 0;
    const waiting = waitForSlot(options({ pollMs: 60_000, signal: stop.signal, onWaiting: () => (waits += 1) }));
    await waitUntil(() => waits > 0, WAIT_MS, 'waitForSlot to start waiting');
    stop.abort();
    await expect(withTimeout(waiting, WAIT_MS, 'waitForSlot to end on abort')).rejects.toMatchObject({ code: 'SLOT_WAIT_ABORTED' });
    await expect(slots.listSlots()).resolves.toEqual([other]);
  });

  it('does not even try with a signal already aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(waitForSlot(options({ signal: stop.signal }))).rejects.toMatchObject({ code: 'SLOT_WAIT_ABORTED' });
    await expect(slots.listSlots()).resolves.toEqual([]);
  });
});
