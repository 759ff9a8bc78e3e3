import { DOC_CLAIM_STALE_MS, LocalConditionalDocs } from './local-conditional-docs';
import type { HeldSlot, SlotStore } from './slot-store';
import {
  assertSlotRequest,
  heldSlot,
  isSameLease,
  isTakeable,
  newSlotDocument,
  parseSlot,
  renewedSlotDocument,
  serializeSlot,
  slotIndexOf,
  slotKey,
  slotLost,
  SLOTS_FOLDER,
  type SlotObject,
  type SlotRequest,
} from './slot-document';

/** A claim file older than this belongs to an agent that died inside it; anyone may break it (local-conditional-docs.ts). */
export const CLAIM_STALE_MS = DOC_CLAIM_STALE_MS;

/**
 * Service-out slots in a local (or shared NFS/EFS) store directory
 * (DESIGN §4): locks/slot-K.json, written through the store's compare-and-swap
 * documents (local-conditional-docs.ts).
 *
 * - Taking a free slot is an exclusive create (temp file, fsync, link(2)):
 *   readers never see a half-written slot, and of two racing agents exactly
 *   one link succeeds.
 * - A slot's tag is a hash of its bytes; each write carries a new nonce, so
 *   every write has its own tag.
 * - Every other change (take over an expired lease, renew, release) is a
 *   compare-and-swap on the tag read: an exclusive claim file on that tag,
 *   a re-read, then rename(2) or unlink. Two agents taking over one expired
 *   lease, or a late renewal racing a takeover, cannot both succeed. A claim
 *   left by a dead agent is broken after {@link CLAIM_STALE_MS}.
 */
export class LocalSlots implements SlotStore {
  private readonly docs: LocalConditionalDocs;

  constructor(
    root: string,
    private readonly url: string,
    private readonly now: () => number = Date.now,
  ) {
    this.docs = new LocalConditionalDocs(root, url, now);
  }

  async tryAcquireSlot(request: SlotRequest): Promise<HeldSlot | undefined> {
    assertSlotRequest(request);
    for (let index = 0; index < request.maxUnavailable; index++) {
      const held = await this.tryAcquireIndex(index, request);
      if (held !== undefined) return held;
    }
    return undefined;
  }

  async renewSlot(slot: HeldSlot, leaseMs: number): Promise<HeldSlot> {
    let held = slot;
    // Two rounds: the second on the tag the slot has now when it still holds our lease (see s3-slots.ts).
    for (let round = 0; round < 2; round++) {
      const document = renewedSlotDocument(held.lease, leaseMs, this.now());
      const etag = await this.docs.replace(slot.key, held.etag, serializeSlot(document));
      if (etag !== undefined) return heldSlot(slot.index, etag, document);
      const current = await this.read(slot.key);
      if (current === undefined || !isSameLease(current.document, slot.lease)) break;
      held = heldSlot(slot.index, current.etag, current.document);
    }
    throw slotLost(slot, this.url);
  }

  async releaseSlot(slot: HeldSlot): Promise<void> {
    let etag = slot.etag;
    for (let round = 0; round < 2; round++) {
      if (await this.docs.remove(slot.key, etag)) return;
      const current = await this.read(slot.key);
      if (current === undefined || !isSameLease(current.document, slot.lease)) return;
      etag = current.etag;
    }
  }

  async listSlots(): Promise<HeldSlot[]> {
    const slots: HeldSlot[] = [];
    for (const name of await this.docs.list(SLOTS_FOLDER)) {
      const index = slotIndexOf(name);
      if (index === undefined) continue;
      const object = await this.read(slotKey(index));
      if (object?.document !== undefined) slots.push(heldSlot(index, object.etag, object.document));
    }
    return slots.sort((a, b) => a.index - b.index);
  }

  private async tryAcquireIndex(index: number, request: SlotRequest): Promise<HeldSlot | undefined> {
    const key = slotKey(index);
    // Two rounds: a slot released between our failed create and our read is free again.
    for (let round = 0; round < 2; round++) {
      const fresh = newSlotDocument(request, request.leaseMs, this.now());
      const created = await this.docs.create(key, serializeSlot(fresh));
      if (created !== undefined) return heldSlot(index, created, fresh);
      const current = await this.read(key);
      if (current === undefined) continue;
      if (!isTakeable(current, this.now())) return undefined;
      const takeover = newSlotDocument(request, request.leaseMs, this.now());
      const etag = await this.docs.replace(key, current.etag, serializeSlot(takeover));
      return etag !== undefined ? heldSlot(index, etag, takeover) : undefined;
    }
    return undefined;
  }

  private async read(key: string): Promise<SlotObject | undefined> {
    const doc = await this.docs.read(key);
    return doc === undefined ? undefined : { etag: doc.etag, document: parseSlot(doc.text, `${key} in ${this.url}`) };
  }
}
