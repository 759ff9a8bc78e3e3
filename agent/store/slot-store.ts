/**
 * Service-out slots (DESIGN §4): objects locks/slot-<K>.json, K in 0..maxUnavailable-1,
 * taken with an exclusive create (S3: PutObject If-None-Match: *; local: open 'wx'),
 * each with a lease so a dead agent's slot expires.
 */
export interface SlotLease {
  /** The instance id that holds the slot. */
  readonly holder: string;
  /** The version it is deploying (for status and logs). */
  readonly version: string;
  /** ISO-8601, the holder's clock. */
  readonly acquiredAt: string;
  /** ISO-8601; after this anyone may take the slot over. */
  readonly expiresAt: string;
}

export interface HeldSlot {
  /** 0-based slot number. */
  readonly index: number;
  /** Store key, e.g. locks/slot-0.json. */
  readonly key: string;
  /** Tag of the object as written by us; renew and release only succeed while it is unchanged. */
  readonly etag: string;
  readonly lease: SlotLease;
}

export interface SlotStore {
  /**
   * Tries each slot 0..maxUnavailable-1 once: takes a free one, or one whose lease has expired.
   * Undefined when every slot is held by a live lease. Never waits.
   */
  tryAcquireSlot(request: { readonly maxUnavailable: number; readonly holder: string; readonly version: string; readonly leaseMs: number }): Promise<HeldSlot | undefined>;
  /** Extends the lease. Throws DeployError SLOT_LOST when the slot is no longer ours. */
  renewSlot(slot: HeldSlot, leaseMs: number): Promise<HeldSlot>;
  /** Gives the slot back; a no-op when it is no longer ours. */
  releaseSlot(slot: HeldSlot): Promise<void>;
  /** Every slot object in the store, live or expired (status, tests). */
  listSlots(): Promise<HeldSlot[]>;
}
