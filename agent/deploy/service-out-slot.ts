import type { RuntimeConfig } from '../config/runtime-config';
import type { Logger } from '../log/logger';
import type { SlotStore } from '../store/slot-store';
import { SlotKeeper } from '../traffic/slot-keeper';
import { waitForSlot } from '../traffic/wait-for-slot';

/** A service-out slot this instance holds (its lease renewed in the background) until `release`. */
export interface HeldServiceSlot {
  readonly key: string;
  /** Gives the slot back; never throws (a slot that cannot be given back frees itself when its lease ends). */
  release(): Promise<void>;
}

/** Where service-out deploys take their slot (DESIGN §4): at most maxUnavailable instances out at once. */
export interface SlotGate {
  take(version: string, signal: AbortSignal): Promise<HeldServiceSlot>;
}

export interface StoreSlotGateDeps {
  readonly slots: SlotStore;
  /** This instance's id: the holder named in the lease. */
  readonly holder: string;
  readonly config: () => NonNullable<RuntimeConfig['loadBalancer']>;
  readonly log: Logger;
}

/**
 * Slots in the release store (locks/slot-K.json): waits for a free one
 * (loadBalancer.slotWaitTimeoutMs), keeps its lease (loadBalancer.slotLeaseMs)
 * while the deploy runs, and logs loudly when it is lost meanwhile (another
 * agent took it over after the lease ran out: the fleet may now have more
 * than maxUnavailable instances out).
 */
export function storeSlotGate(deps: StoreSlotGateDeps): SlotGate {
  return {
    async take(version, signal) {
      const { slots, holder, log } = deps;
      const config = deps.config();
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
        onWaiting: (holders) => {
          const who = holders.map((h) => `${h.holder} (${h.version})`).join(', ');
          if (who !== said) log.info({ holders: holders.map((h) => h.holder), maxUnavailable: config.maxUnavailable }, `waiting for a service-out slot; held by ${who || 'nobody (expired)'}`);
          said = who;
        },
      });
      log.info({ slot: slot.key, expiresAt: slot.lease.expiresAt }, `took service-out slot ${slot.key}`);
      const keeper = new SlotKeeper({
        slots,
        slot,
        leaseMs: config.slotLeaseMs,
        log,
        onLost: (error) =>
          log.error(
            { slot: slot.key, code: error.code, err: error.message },
            `LOST service-out slot ${slot.key} while out of service: another instance may be out too (more than maxUnavailable); finishing this deploy as fast as it can`,
          ),
      });
      return {
        key: slot.key,
        release: async () => {
          await keeper.release();
          log.info({ slot: slot.key }, `gave back service-out slot ${slot.key}`);
        },
      };
    },
  };
}
