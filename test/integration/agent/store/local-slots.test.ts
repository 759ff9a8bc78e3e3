import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLAIM_STALE_MS } from '../../../../agent/store/local-slots';
import { LocalStore } from '../../../../agent/store/local-store';
import type { HeldSlot } from '../../../../agent/store/slot-store';
import { waitUntil } from '../../../support/with-timeout';

/**
 * What only the local backend has (the shared protocol is in
 * slot-protocol.test.ts): the claim files that make a takeover, renewal or
 * release of one slot generation a compare-and-swap.
 */
describe('LocalStore slots: claims', () => {
  let dir: string;
  let store: LocalStore;
  const locks = (): string => path.join(dir, 'locks');
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-slots-'));
    store = new LocalStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function expiredSlot(): Promise<HeldSlot> {
    const slot = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-old', version: 'v1', leaseMs: 1 });
    if (slot === undefined) throw new Error('no slot');
    const expiresMs = Date.parse(slot.lease.expiresAt);
    await waitUntil(() => Date.now() > expiresMs, 5_000, `the lease of ${slot.key} to expire`, 2);
    return slot;
  }

  const claimOf = (slot: HeldSlot): string => path.join(locks(), `.slot-0.json.${slot.etag}.claim`);

  it('does not take over an expired lease while another agent holds a live claim on it', async () => {
    const old = await expiredSlot();
    await writeFile(claimOf(old), '');
    await expect(store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-new', version: 'v2', leaseMs: 60_000 })).resolves.toBeUndefined();
    await expect(store.slots.listSlots()).resolves.toEqual([old]);
  });

  it('breaks a claim left by an agent that died holding it, then takes the lease over', async () => {
    const old = await expiredSlot();
    await writeFile(claimOf(old), '');
    const longAgo = new Date(Date.now() - 2 * CLAIM_STALE_MS);
    await utimes(claimOf(old), longAgo, longAgo);
    await expect(store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-new', version: 'v2', leaseMs: 60_000 })).resolves.toMatchObject({
      lease: { holder: 'i-new' },
    });
    expect((await readdir(locks())).sort()).toEqual(['slot-0.json']);
  });

  it('leaves no claim or temp file behind after acquire, renew and release', async () => {
    const held = await store.slots.tryAcquireSlot({ maxUnavailable: 2, holder: 'i-aaa', version: 'v2', leaseMs: 60_000 });
    if (held === undefined) throw new Error('no slot');
    const renewed = await store.slots.renewSlot(held, 60_000);
    expect(await readdir(locks())).toEqual(['slot-0.json']);
    await store.slots.releaseSlot(renewed);
    expect(await readdir(locks())).toEqual([]);
  });
});
