import { DeployError, describeError } from '../errors';
import type { HeldSlot, SlotLease, SlotStore } from '../store/slot-store';

export interface WaitForSlotOptions {
  readonly slots: SlotStore;
  /** loadBalancer.maxUnavailable: slots 0..maxUnavailable-1 exist. */
  readonly maxUnavailable: number;
  /** This instance's id. */
  readonly holder: string;
  /** The version it is about to deploy (shown to the others waiting). */
  readonly version: string;
  /** loadBalancer.slotLeaseMs. */
  readonly leaseMs: number;
  /** The first wait between tries; waits grow to 4× this, each with jitter. */
  readonly pollMs: number;
  /** loadBalancer.slotWaitTimeoutMs: give up with SLOT_TIMEOUT after this. */
  readonly timeoutMs: number;
  /** Aborted when the agent stops: the wait ends with SLOT_WAIT_ABORTED. */
  readonly signal?: AbortSignal;
  /** Called after each try that found every slot held, with the live leases (for logs and status). */
  readonly onWaiting?: (holders: readonly SlotLease[]) => void;
  /** Called when a try whose answer was lost turns out to have taken `slot` (found by holder, carried on with). */
  readonly onOwnSlot?: (slot: HeldSlot) => void;
  /** [0, 1); tests pass a fixed one. @default Math.random */
  readonly random?: () => number;
}

/** The longest wait between tries, as a multiple of pollMs. */
const MAX_BACKOFF_FACTOR = 4;

/**
 * Takes a service-out slot (DESIGN §4), waiting while `maxUnavailable` other
 * instances hold them all. Tries at once, then after jittered, growing waits
 * (pollMs × 1, 2, 4, 4 … each × 0.5–1.0, so a fleet waiting on one slot does
 * not poll in step). A store that fails a try is tried again until the
 * timeout. Throws SLOT_TIMEOUT naming the holders after `timeoutMs`, and
 * SLOT_WAIT_ABORTED when `signal` aborts (a slot taken as it aborts is given back).
 *
 * A try that failed may still have taken a slot (its write landed, every
 * answer to it was lost): until the store has been listed once since, each
 * round first looks for a slot this holder holds and carries on with it
 * (renewed), instead of taking a second one or waiting for its own lease.
 * When the wait ends without a slot (timeout, abort) after such a try, a
 * slot it took is given back: nobody would renew it, and it would hold the
 * fleet up until its lease ends.
 */
export async function waitForSlot(options: WaitForSlotOptions): Promise<HeldSlot> {
  /** A try failed since the store was last listed: it may have taken a slot. */
  const tries = { uncertain: false };
  try {
    return await takeOrWait(options, tries);
  } catch (error) {
    if (tries.uncertain) await giveBackLostTake(options);
    throw error;
  }
}

async function takeOrWait(options: WaitForSlotOptions, tries: { uncertain: boolean }): Promise<HeldSlot> {
  const { slots, signal } = options;
  const random = options.random ?? Math.random;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    let slot: HeldSlot | undefined;
    try {
      const { maxUnavailable, holder, version, leaseMs } = options;
      if (tries.uncertain) {
        slot = await ownSlot(options);
        if (slot !== undefined) options.onOwnSlot?.(slot);
        tries.uncertain = false;
      }
      slot ??= await slots.tryAcquireSlot({ maxUnavailable, holder, version, leaseMs });
      lastError = undefined;
    } catch (error) {
      if (!(error instanceof DeployError) || error.code !== 'STORE_UNAVAILABLE') throw error;
      lastError = error;
      tries.uncertain = true;
    }
    if (slot !== undefined) {
      if (signal?.aborted === true) {
        await slots.releaseSlot(slot).catch(() => undefined);
        throwIfAborted(signal);
      }
      return slot;
    }
    if (lastError === undefined && options.onWaiting !== undefined) {
      const holders = await liveLeases(slots).catch(() => undefined); // only for the report: a failed read waits like any other try
      if (holders !== undefined) options.onWaiting(holders);
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) throw await slotTimeout(options, lastError);
    const backoffMs = options.pollMs * Math.min(2 ** attempt, MAX_BACKOFF_FACTOR) * (0.5 + random() / 2);
    await sleep(Math.min(backoffMs, remainingMs), signal);
  }
}

/** A slot (that counts) whose lease names this holder, renewed: a take of ours whose answer was lost. */
async function ownSlot(options: WaitForSlotOptions): Promise<HeldSlot | undefined> {
  const own = (await options.slots.listSlots()).find((slot) => slot.lease.holder === options.holder && slot.index < options.maxUnavailable);
  if (own === undefined) return undefined;
  try {
    return await options.slots.renewSlot(own, options.leaseMs);
  } catch (error) {
    if (error instanceof DeployError && error.code === 'SLOT_LOST') return undefined; // taken over meanwhile: wait like anyone
    throw error;
  }
}

/** Gives back any slot a try of this wait took with its answer lost (this holder, this version); never throws. */
async function giveBackLostTake(options: WaitForSlotOptions): Promise<void> {
  const held = await options.slots.listSlots().catch(() => []);
  const ours = held.filter((slot) => slot.lease.holder === options.holder && slot.lease.version === options.version);
  for (const slot of ours) await options.slots.releaseSlot(slot).catch(() => undefined);
}

async function liveLeases(slots: SlotStore): Promise<SlotLease[]> {
  const now = Date.now();
  return (await slots.listSlots()).map((slot) => slot.lease).filter((lease) => Date.parse(lease.expiresAt) > now);
}

async function slotTimeout(options: WaitForSlotOptions, lastError: unknown): Promise<DeployError> {
  let held: string;
  try {
    const slots = (await options.slots.listSlots()).filter((slot) => slot.index < options.maxUnavailable);
    held = slots.length === 0 ? 'no slot is held now' : slots.map((s) => `${s.key} by ${s.lease.holder} (${s.lease.version}, lease until ${s.lease.expiresAt})`).join(', ');
  } catch (error) {
    held = `the holders cannot be read: ${describeError(error)}`;
  }
  const storeFailure = lastError === undefined ? '' : `; the last try failed: ${describeError(lastError)}`;
  return new DeployError(
    'SLOT_TIMEOUT',
    `no service-out slot free for ${options.holder} within ${options.timeoutMs} ms (maxUnavailable ${options.maxUnavailable}): ${held}${storeFailure}. ` +
      'Check those instances, or raise loadBalancer.maxUnavailable or loadBalancer.slotWaitTimeoutMs',
    { cause: lastError },
  );
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw new DeployError('SLOT_WAIT_ABORTED', 'stopped waiting for a service-out slot: the agent is stopping', { cause: signal.reason });
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks it). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
