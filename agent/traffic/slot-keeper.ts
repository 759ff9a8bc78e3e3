import { DeployError, describeError } from '../errors';
import type { HeldSlot, SlotStore } from '../store/slot-store';

/** Where the keeper reports renewals that failed but may succeed next time (a pino logger fits). */
export interface SlotKeeperLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SlotKeeperOptions {
  readonly slots: SlotStore;
  /** The slot waitForSlot (or tryAcquireSlot) returned. */
  readonly slot: HeldSlot;
  /** loadBalancer.slotLeaseMs: each renewal extends the lease to now + this. Renewed every leaseMs / 3. */
  readonly leaseMs: number;
  /**
   * Called once when the slot is no longer ours: another instance took it
   * over (SLOT_LOST from the store), or its lease ran out while renewals kept
   * failing. Renewing stops; the deploy should bring the instance back into
   * service as soon as it can.
   */
  readonly onLost: (error: DeployError) => void;
  readonly log?: SlotKeeperLog;
}

/**
 * Holds a service-out slot for as long as a deploy keeps the instance out of
 * service (DESIGN §4): renews its lease every leaseMs / 3 (so two renewals
 * may fail before it runs out), one renewal at a time, on an unref'd timer
 * (a held slot never keeps the process alive). `release()` stops renewing and
 * gives the slot back; it never throws.
 */
export class SlotKeeper {
  private current: HeldSlot;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private state: 'holding' | 'lost' | 'released' = 'holding';
  private readonly lostController = new AbortController();

  constructor(private readonly options: SlotKeeperOptions) {
    this.current = options.slot;
    this.schedule();
  }

  /** Fires (its reason the SLOT_LOST DeployError) when the slot is lost: a deploy cuts short what it can. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** The slot as last renewed (its etag and expiresAt move forward with each renewal). */
  get slot(): HeldSlot {
    return this.current;
  }

  /** True until the slot is lost or released. */
  get holding(): boolean {
    return this.state === 'holding';
  }

  /** Stops renewing and gives the slot back (a no-op when it was lost). Errors are logged, never thrown. */
  async release(): Promise<void> {
    if (this.state !== 'holding') return;
    this.state = 'released';
    clearTimeout(this.timer);
    await this.renewing;
    try {
      await this.options.slots.releaseSlot(this.current);
    } catch (error) {
      this.options.log?.warn(
        { slot: this.current.key, holder: this.current.lease.holder, error: describeError(error) },
        `could not give back service-out slot ${this.current.key}; it frees itself when its lease ends at ${this.current.lease.expiresAt}`,
      );
    }
  }

  private schedule(): void {
    if (this.state !== 'holding') return;
    this.timer = setTimeout(() => {
      this.renewing = this.renew().finally(() => {
        this.renewing = undefined;
        this.schedule();
      });
    }, Math.max(1, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const before = this.current;
    try {
      const renewed = await this.options.slots.renewSlot(before, this.options.leaseMs);
      if (this.state !== 'lost') this.current = renewed; // after release() began, release the renewed tag
    } catch (error) {
      if (error instanceof DeployError && error.code === 'SLOT_LOST') return this.lose(error);
      if (Date.parse(before.lease.expiresAt) <= Date.now()) {
        return this.lose(
          new DeployError(
            'SLOT_LOST',
            `service-out slot ${before.key} could not be renewed before its lease ended at ${before.lease.expiresAt}: ${describeError(error)}; another instance may take it`,
            { cause: error },
          ),
        );
      }
      this.options.log?.warn(
        { slot: before.key, error: describeError(error) },
        `renewing service-out slot ${before.key} failed; trying again (lease ends ${before.lease.expiresAt})`,
      );
    }
  }

  private lose(error: DeployError): void {
    if (this.state !== 'holding') return;
    this.state = 'lost';
    clearTimeout(this.timer);
    this.options.onLost(error);
    this.lostController.abort(error);
  }
}
