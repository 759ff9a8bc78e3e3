import { DeployError } from '../../../../agent/errors';
import type { HeldSlot, SlotStore } from '../../../../agent/store/slot-store';
import { SlotKeeper } from '../../../../agent/traffic/slot-keeper';
import { delay, waitUntil } from '../../../support/with-timeout';
import { backends, type Backend } from '../store/store-backends';

/** Short, so that renewals (every third of it) come quickly; nothing here depends on them being on time. */
const LEASE_MS = 300;
const WAIT_MS = 10_000;

/** A real store that counts renewals and can be told to fail releases (a store outage at the worst moment). */
class CountingSlots implements SlotStore {
  renewals = 0;
  failRelease = false;
  constructor(private readonly inner: SlotStore) {}
  tryAcquireSlot(request: Parameters<SlotStore['tryAcquireSlot']>[0]) {
    return this.inner.tryAcquireSlot(request);
  }
  async renewSlot(slot: HeldSlot, leaseMs: number) {
    this.renewals += 1;
    return this.inner.renewSlot(slot, leaseMs);
  }
  async releaseSlot(slot: HeldSlot) {
    if (this.failRelease) throw new DeployError('STORE_UNAVAILABLE', 'the store is down (test)');
    return this.inner.releaseSlot(slot);
  }
  listSlots() {
    return this.inner.listSlots();
  }
}

describe.each(backends)('SlotKeeper: %s', (_name, makeBackend) => {
  let backend: Backend;
  let slots: CountingSlots;
  let keeper: SlotKeeper | undefined;
  beforeEach(async () => {
    backend = await makeBackend();
    slots = new CountingSlots(backend.store.slots);
  });
  afterEach(async () => {
    await keeper?.release();
    keeper = undefined;
    await backend.cleanup();
  });

  async function keep(onLost: (error: DeployError) => void = () => undefined) {
    const slot = await slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-keeper', version: 'v2', leaseMs: LEASE_MS });
    if (slot === undefined) throw new Error('no slot');
    const warnings: string[] = [];
    keeper = new SlotKeeper({ slots, slot, leaseMs: LEASE_MS, onLost, log: { warn: (_fields, message) => warnings.push(message) } });
    return { slot, keeper, warnings };
  }

  it('renews the lease while held: expiresAt in the store moves forward with each renewal', async () => {
    const lost: DeployError[] = [];
    const { slot, keeper: held } = await keep((error) => lost.push(error));
    const expiries: number[] = [Date.parse(slot.lease.expiresAt)];
    await waitUntil(
      async () => {
        const [stored] = await slots.listSlots();
        const expiresMs = Date.parse(stored?.lease.expiresAt ?? '');
        if (expiresMs !== expiries.at(-1)) expiries.push(expiresMs);
        return expiries.length >= 4;
      },
      WAIT_MS,
      'three renewals of the slot',
    );
    expect(expiries).toEqual([...expiries].sort((a, b) => a - b));
    expect(new Set(expiries).size).toBe(expiries.length);
    expect(lost).toEqual([]);
    expect(held.holding).toBe(true);
    const [stored] = await slots.listSlots();
    expect(stored?.lease).toMatchObject({ holder: 'i-keeper', acquiredAt: slot.lease.acquiredAt });
  });

  it('release stops renewing and gives the slot back', async () => {
    const { keeper: held } = await keep();
    await waitUntil(() => slots.renewals >= 1, WAIT_MS, 'the first renewal');
    await held.release();
    expect(held.holding).toBe(false);
    await expect(slots.listSlots()).resolves.toEqual([]);
    const renewalsAtRelease = slots.renewals;
    // Three renewal periods later, still none: the timer is gone.
    await delay(LEASE_MS);
    expect(slots.renewals).toBe(renewalsAtRelease);
  });

  it('reports a slot another instance took over, once (onLost and the lost signal), stops renewing, and release leaves that instance its slot', async () => {
    const lost: DeployError[] = [];
    const { slot, keeper: held } = await keep((error) => lost.push(error));
    const theirs = JSON.stringify({ holder: 'i-other', version: 'v3', acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString(), nonce: 'x' });
    await backend.writeRaw(slot.key, theirs);
    await waitUntil(() => lost.length > 0, WAIT_MS, 'the keeper to report the lost slot');
    expect(lost).toEqual([expect.objectContaining({ code: 'SLOT_LOST' })]);
    expect(held.holding).toBe(false);
    expect(held.lost.aborted).toBe(true); // what a deploy listens to
    expect(held.lost.reason).toBe(lost[0]);
    await held.release();
    await expect(slots.listSlots()).resolves.toEqual([expect.objectContaining({ lease: expect.objectContaining({ holder: 'i-other' }) })]);
    expect(lost).toHaveLength(1);
  });

  it('logs a release the store refuses instead of throwing it', async () => {
    const { keeper: held, warnings } = await keep();
    slots.failRelease = true;
    await expect(held.release()).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('could not give back service-out slot locks/slot-0.json')]);
  });
});
