import type { RuntimeConfig } from '../config/runtime-config';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { HeldSlot, SlotStore } from '../store/slot-store';
import { SlotKeeper } from '../traffic/slot-keeper';
import { waitForSlot } from '../traffic/wait-for-slot';

/** A service-out slot this instance holds (its lease renewed in the background) until `release` or `keep`. */
export interface HeldServiceSlot {
  readonly key: string;
  /**
   * Fires when the slot is lost while held (another instance took it over
   * after its lease ran out): the deploy stops taking the instance out and
   * puts it back as soon as it is safe. Its reason is the SLOT_LOST error.
   */
  readonly lost: AbortSignal;
  /** Gives the slot back; never throws (a slot that cannot be given back frees itself when its lease ends). */
  release(): Promise<void>;
  /**
   * The deploy is over but the instance is still out of service (it could
   * not be registered again): the slot stays held, its lease renewed, until
   * the agent puts the instance back between deploys (`giveBack`).
   */
  keep(): void;
}

/**
 * Where service-out deploys take their slot (DESIGN §4): at most
 * maxUnavailable instances out at once. A slot counts an instance as out of
 * service for as long as it is, even past the deploy that took it: a deploy
 * that cannot register the instance again keeps it, and a killed agent's slot
 * stays in the store (until its lease ends) for the restarted agent to
 * carry on with.
 */
export interface SlotGate {
  /** A slot for a deploy of `version`: the one this instance still holds, else a free one (waiting for it). */
  take(version: string, signal: AbortSignal): Promise<HeldServiceSlot>;
  /**
   * The slots this instance holds between deploys: one a deploy kept, and
   * any the store names this instance the holder of (left by a killed run).
   * Throws when the store cannot be read and no slot is kept.
   */
  held(): Promise<HeldSlot[]>;
  /** The instance is in service again: gives these slots back; never throws. */
  giveBack(slots: readonly HeldSlot[]): Promise<void>;
}

export interface StoreSlotGateDeps {
  readonly slots: SlotStore;
  /** This instance's id: the holder named in the lease. */
  readonly holder: string;
  readonly config: () => NonNullable<RuntimeConfig['loadBalancer']>;
  readonly log: Logger;
}

type LoadBalancerConfig = NonNullable<RuntimeConfig['loadBalancer']>;

/**
 * Slots in the release store (locks/slot-K.json): waits for a free one
 * (loadBalancer.slotWaitTimeoutMs), keeps its lease (loadBalancer.slotLeaseMs)
 * while the deploy runs, and logs loudly and fires the slot's `lost` signal
 * when it is lost meanwhile (another agent took it over after the lease ran
 * out: the fleet may now have more than maxUnavailable instances out, so
 * the deploy puts this one back as soon as it can).
 */
export function storeSlotGate(deps: StoreSlotGateDeps): SlotGate {
  const { slots, holder, log } = deps;
  /** The slot a deploy kept (the instance is out of service), renewed until given back. */
  let kept: SlotKeeper | undefined;
  const inStore = async (): Promise<HeldSlot[]> => (await slots.listSlots()).filter((slot) => slot.lease.holder === holder);

  const hold = (keeper: SlotKeeper): HeldServiceSlot => {
    const { key } = keeper.slot;
    return {
      key,
      lost: keeper.lost,
      release: async () => {
        await keeper.release();
        log.info({ slot: key }, `gave back service-out slot ${key}`);
      },
      keep: () => {
        kept = keeper;
        log.warn({ slot: key }, `keeping service-out slot ${key}: this instance is out of service; it is given back once the instance is registered again`);
      },
    };
  };

  return {
    async take(version, signal) {
      const config = deps.config();
      const before = kept;
      kept = undefined;
      if (before?.holding) {
        log.info({ slot: before.slot.key }, `still holding service-out slot ${before.slot.key} (this instance is out of service since the last deploy)`);
        return hold(before);
      }
      // A slot this instance held when its agent was killed: the instance is out of service on its
      // account, so this deploy goes on with it at once (waiting would keep it out until the lease ends).
      const own = await takeOverLeftover(deps, await inStore().catch(() => []), config);
      if (own) log.info({ slot: own.key, expiresAt: own.lease.expiresAt, leftByEarlierRun: true }, `took service-out slot ${own.key} (this instance held it in an earlier run)`);
      const slot = own ?? (await waitForFreeSlot(deps, config, version, signal));
      return hold(keeperOf(deps, slot, config));
    },

    async held() {
      const keptSlot = kept?.holding === true ? kept.slot : undefined;
      const stored = await inStore().catch((error: unknown) => {
        if (keptSlot === undefined) throw error;
        return [];
      });
      return keptSlot === undefined ? stored : [keptSlot, ...stored.filter((slot) => slot.key !== keptSlot.key)];
    },

    async giveBack(held) {
      for (const slot of held) {
        const keeper = kept?.slot.key === slot.key ? kept : undefined;
        try {
          if (keeper) {
            kept = undefined;
            await keeper.release();
          } else {
            await slots.releaseSlot(slot);
          }
          log.info({ slot: slot.key }, `gave back service-out slot ${slot.key}: this instance is in service again`);
        } catch (error) {
          log.warn({ slot: slot.key, err: describeError(error) }, `could not give back service-out slot ${slot.key}; it frees itself when its lease ends`);
        }
      }
    },
  };
}

async function waitForFreeSlot(deps: StoreSlotGateDeps, config: LoadBalancerConfig, version: string, signal: AbortSignal): Promise<HeldSlot> {
  const { slots, holder, log } = deps;
  let said = '';
  const slot = await waitForSlot({
    slots,
    maxUnavailable: config.maxUnavailable,
    holder,
    version,
    leaseMs: config.slotLeaseMs,
    pollMs: config.pollIntervalMs,
    timeoutMs: config.slotWaitTimeoutMs,
    signal,
    onOwnSlot: (own) =>
      log.warn({ slot: own.key }, `an earlier try to take a service-out slot lost its answer but took ${own.key}: carrying on with it (not waiting for this instance's own lease)`),
    onWaiting: (holders) => {
      const who = holders.map((h) => `${h.holder} (${h.version})`).join(', ');
      if (who !== said) log.info({ holders: holders.map((h) => h.holder), maxUnavailable: config.maxUnavailable }, `waiting for a service-out slot; held by ${who || 'nobody (expired)'}`);
      said = who;
    },
  });
  log.info({ slot: slot.key, expiresAt: slot.lease.expiresAt }, `took service-out slot ${slot.key}`);
  return slot;
}

/** Renews the lease of `slot` in the background until released or lost. */
function keeperOf(deps: StoreSlotGateDeps, slot: HeldSlot, config: LoadBalancerConfig): SlotKeeper {
  const { slots, log } = deps;
  return new SlotKeeper({
    slots,
    slot,
    leaseMs: config.slotLeaseMs,
    log,
    onLost: (error) =>
      log.error(
        { slot: slot.key, code: error.code, err: error.message },
        `LOST service-out slot ${slot.key} while out of service: another instance may be out too (more than maxUnavailable); putting this instance back in service as soon as it is safe`,
      ),
  });
}

/**
 * Renews the first of `own` (slots the store names this instance the holder
 * of) that still counts (maxUnavailable may have been lowered since): a new
 * lease from now. Undefined when there is none, or when it cannot be had
 * (taken over meanwhile, store unreachable): the caller waits for a slot.
 */
async function takeOverLeftover(deps: StoreSlotGateDeps, own: readonly HeldSlot[], config: LoadBalancerConfig): Promise<HeldSlot | undefined> {
  const leftover = own.find((slot) => slot.index < config.maxUnavailable);
  if (leftover === undefined) return undefined;
  try {
    return await deps.slots.renewSlot(leftover, config.slotLeaseMs);
  } catch (error) {
    deps.log.warn({ slot: leftover.key, err: describeError(error) }, `could not take over service-out slot ${leftover.key}, held by this instance in an earlier run; waiting for a slot`);
    return undefined;
  }
}
