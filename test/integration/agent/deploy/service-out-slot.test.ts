import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { RuntimeConfig } from '../../../../agent/config/runtime-config';
import { storeSlotGate, type SlotGate } from '../../../../agent/deploy/service-out-slot';
import { createLogger } from '../../../../agent/log/logger';
import { LocalStore } from '../../../../agent/store/local-store';
import { waitUntil } from '../../../support/with-timeout';

const quiet = createLogger(new PassThrough().resume(), 'silent');
const me = 'i-0aaaaaaaaaaaaaaa1';
const other = 'i-0bbbbbbbbbbbbbbb2';
/** Far longer than any test: a slot these tests see freed was given back, not expired. */
const LEASE_MS = 120_000;

/**
 * The service-out slot gate of one agent over a real local store: a slot
 * counts this instance as out of service for as long as it is, so a deploy
 * that cannot put it back keeps its slot, and a restarted agent carries on
 * with the slot its killed run held instead of waiting for the lease.
 */
describe('service-out slot gate', () => {
  let dir: string;
  let store: LocalStore;
  let signal: AbortSignal;
  const config = (overrides: Partial<NonNullable<RuntimeConfig['loadBalancer']>> = {}): NonNullable<RuntimeConfig['loadBalancer']> => ({
    targetGroupArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef'],
    port: 8080,
    maxUnavailable: 1,
    endpoint: undefined,
    region: undefined,
    drainTimeoutMs: undefined,
    earlyDrain: true,
    drainQuietMs: 300,
    healthyTimeoutMs: 10_000,
    pollIntervalMs: 100,
    maxSurge: undefined,
    slotLeaseMs: LEASE_MS,
    slotWaitTimeoutMs: 500,
    ...overrides,
  });
  const gateOf = (holder: string, overrides: Partial<NonNullable<RuntimeConfig['loadBalancer']>> = {}): SlotGate =>
    storeSlotGate({ slots: store.slots, holder, config: () => config(overrides), log: quiet });
  /** What a killed run leaves: a live slot under `holder` (the first free one up to `index`) that nobody renews or gives back. */
  const leftBehind = async (holder: string, index = 0) => {
    const slot = await store.slots.tryAcquireSlot({ maxUnavailable: index + 1, holder, version: 'v2', leaseMs: LEASE_MS });
    if (slot?.index !== index) throw new Error(`slot ${index} not taken (${slot?.key ?? 'none free'})`);
    return slot;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-gate-'));
    store = new LocalStore(dir);
    signal = new AbortController().signal;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes over at once the slot a killed run of this instance left, long before its lease ends', async () => {
    const left = await leftBehind(me);

    const slot = await gateOf(me).take('v3', signal);

    expect(slot.key).toBe(left.key);
    const [stored] = await store.slots.listSlots();
    expect(stored?.lease.holder).toBe(me);
    expect(stored?.etag).not.toBe(left.etag);
    await slot.release();
    await expect(store.slots.listSlots()).resolves.toEqual([]);
  });

  it('still waits for a slot another instance holds (and gives up after slotWaitTimeoutMs)', async () => {
    await leftBehind(other);
    await expect(gateOf(me).take('v3', signal)).rejects.toMatchObject({ code: 'SLOT_TIMEOUT' });
  });

  it('does not take over its own slot that no longer counts (maxUnavailable lowered): it takes a counted one', async () => {
    const filler = await leftBehind(other, 0);
    const left = await leftBehind(me, 1);
    await store.slots.releaseSlot(filler);
    const slot = await gateOf(me).take('v3', signal);
    expect(slot.key).not.toBe(left.key);
    await slot.release();
  });

  it('keeps a slot while the instance is out of service, renewing it, and the next deploy carries on with it', async () => {
    const gate = gateOf(me, { slotLeaseMs: 3_000 });
    const first = await gate.take('v2', signal);
    const [taken] = await store.slots.listSlots();
    first.keep();

    await waitUntil(async () => (await store.slots.listSlots())[0]?.lease.expiresAt !== taken?.lease.expiresAt, 10_000, 'the kept slot to be renewed');
    expect((await gate.held()).map((s) => s.key)).toEqual([first.key]);
    await expect(gateOf(other).take('v2', signal)).rejects.toMatchObject({ code: 'SLOT_TIMEOUT' });
    const second = await gate.take('v3', signal);
    expect(second.key).toBe(first.key);
    await second.release();
    await expect(store.slots.listSlots()).resolves.toEqual([]);
  });

  it('gives back what it holds between deploys once the instance is in service again: a kept slot and one a killed run left', async () => {
    const gate = gateOf(me, { maxUnavailable: 2 });
    await leftBehind(me, 0);
    const kept = await gate.take('v2', signal); // carries on with slot 0
    kept.keep();
    await leftBehind(me, 1);

    const held = await gate.held();
    expect(held.map((s) => s.key).sort()).toEqual(['locks/slot-0.json', 'locks/slot-1.json']);
    await gate.giveBack(held);

    await expect(store.slots.listSlots()).resolves.toEqual([]);
    await expect(gate.held()).resolves.toEqual([]);
  });
});
