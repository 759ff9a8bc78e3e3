import { DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isConditionalConflict, isMissingKey, isPreconditionFailed, storeUnavailable } from './s3-errors';
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
  type SlotDocument,
  type SlotObject,
  type SlotRequest,
} from './slot-document';

/** Where the slots are: the bucket, how a store key becomes an S3 key, the store's URL (for messages). */
export interface S3SlotsTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly url: string;
  /** The full S3 key of a store key (the store's prefix in front). */
  fullKey(storeKey: string): string;
}

/** One S3 conditional write: create only (`If-None-Match: *`), or replace only this ETag (`If-Match`). */
type Condition = { readonly IfNoneMatch: '*' } | { readonly IfMatch: string };

/** A conditional write's outcome: the new ETag, or (the condition failed) what the key holds now. */
type PutOutcome = { readonly written: string } | { readonly current: SlotObject | undefined };

/**
 * Service-out slots in an S3 store (DESIGN §4), with S3 conditional writes
 * (AWS S3 since August 2024 for `If-None-Match`, November 2024 for
 * `If-Match` on PutObject, September 2025 for DeleteObject with `If-Match`,
 * which also needs s3:GetObject permission):
 *
 * - take a free slot: PutObject `If-None-Match: *`; 412 means it exists;
 * - take over an expired lease: GetObject (its ETag), then PutObject
 *   `If-Match: <that ETag>`: of two agents taking over one lease one wins;
 * - renew: PutObject `If-Match: <our ETag>`; release: DeleteObject `If-Match`.
 *
 * 412 PreconditionFailed, 409 ConditionalRequestConflict (a concurrent
 * conditional write to the key) and 404 (the key went away) all mean the slot
 * is someone else's. Transient failures are retried by the SDK client
 * (s3-client.ts); since a retried write whose first answer was lost can see
 * its own write as a 412, a failed condition is followed by a read, and a
 * document carrying our write's nonce is ours. When every answer was lost
 * (the SDK's retries spent: STORE_UNAVAILABLE), the write may still have
 * landed; the next call recognises it by the lease: a renewal or release
 * that finds our lease (same holder and `acquiredAt`) under a newer ETag
 * adopts that ETag (a take whose answers were all lost is waitForSlot's to
 * find: wait-for-slot.ts).
 */
export class S3Slots implements SlotStore {
  constructor(
    private readonly target: S3SlotsTarget,
    private readonly now: () => number = Date.now,
  ) {}

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
    // Two rounds: the second on the tag of an earlier renewal of ours whose answer was lost.
    for (let round = 0; round < 2; round++) {
      const document = renewedSlotDocument(held.lease, leaseMs, this.now());
      const outcome = await this.putIf(slot.key, document, { IfMatch: held.etag });
      if ('written' in outcome) return heldSlot(slot.index, outcome.written, document);
      const { current } = outcome;
      if (current === undefined || !isSameLease(current.document, slot.lease)) break;
      held = heldSlot(slot.index, current.etag, current.document);
    }
    throw slotLost(slot, this.target.url);
  }

  async releaseSlot(slot: HeldSlot): Promise<void> {
    let etag = slot.etag;
    for (let round = 0; round < 2; round++) {
      if (await this.deleteIf(slot.key, etag)) return;
      // Not that tag any more: given back or taken over (nothing to do), or renewed by a write of ours whose answer was lost.
      const current = await this.read(slot.key);
      if (current === undefined || !isSameLease(current.document, slot.lease)) return;
      etag = current.etag;
    }
  }

  async listSlots(): Promise<HeldSlot[]> {
    const listPrefix = this.target.fullKey(SLOTS_FOLDER);
    const indexes: number[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: this.target.client }, { Bucket: this.target.bucket, Prefix: listPrefix })) {
        for (const object of page.Contents ?? []) {
          const index = slotIndexOf(object.Key?.slice(listPrefix.length) ?? '');
          if (index !== undefined) indexes.push(index);
        }
      }
    } catch (error) {
      throw this.unavailable('list', listPrefix, error);
    }
    const slots: HeldSlot[] = [];
    for (const index of indexes.sort((a, b) => a - b)) {
      const object = await this.read(slotKey(index));
      if (object?.document !== undefined) slots.push(heldSlot(index, object.etag, object.document));
    }
    return slots;
  }

  /** Deletes `key` if its ETag is still `etag`; false when it is not (or it is gone). */
  private async deleteIf(storeKey: string, etag: string): Promise<boolean> {
    const key = this.target.fullKey(storeKey);
    try {
      await this.target.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: key, IfMatch: etag }));
      return true;
    } catch (error) {
      if (isMissingKey(error)) return true; // gone: also what the retry of a delete whose answer was lost sees
      if (isPreconditionFailed(error) || isConditionalConflict(error)) return false;
      throw this.unavailable('delete', key, error);
    }
  }

  private async tryAcquireIndex(index: number, request: SlotRequest): Promise<HeldSlot | undefined> {
    const key = slotKey(index);
    // Two rounds: a slot deleted between our failed create and our read is free again.
    for (let round = 0; round < 2; round++) {
      const fresh = newSlotDocument(request, request.leaseMs, this.now());
      const created = await this.putIf(key, fresh, { IfNoneMatch: '*' });
      if ('written' in created) return heldSlot(index, created.written, fresh);
      const { current } = created;
      if (current === undefined) continue;
      if (!isTakeable(current, this.now())) return undefined;
      const takeover = newSlotDocument(request, request.leaseMs, this.now());
      const replaced = await this.putIf(key, takeover, { IfMatch: current.etag });
      return 'written' in replaced ? heldSlot(index, replaced.written, takeover) : undefined;
    }
    return undefined;
  }

  /** Writes `document` at `key` under `condition`. */
  private async putIf(key: string, document: SlotDocument, condition: Condition): Promise<PutOutcome> {
    const fullKey = this.target.fullKey(key);
    try {
      const out = await this.target.client.send(
        new PutObjectCommand({
          Bucket: this.target.bucket,
          Key: fullKey,
          Body: serializeSlot(document),
          ContentType: 'application/json',
          ...condition,
        }),
      );
      if (out.ETag === undefined) throw new Error('S3 answered a PutObject without an ETag');
      return { written: out.ETag };
    } catch (error) {
      if (!(isPreconditionFailed(error) || isConditionalConflict(error) || isMissingKey(error))) throw this.unavailable('write', fullKey, error);
    }
    // Our own write, retried by the SDK after its answer was lost, also fails its condition.
    const current = await this.read(key);
    return current?.document?.nonce === document.nonce ? { written: current.etag } : { current };
  }

  private async read(key: string): Promise<SlotObject | undefined> {
    const fullKey = this.target.fullKey(key);
    try {
      const out = await this.target.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: fullKey }));
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      if (out.ETag === undefined) throw new Error('S3 answered a GetObject without an ETag');
      return { etag: out.ETag, document: parseSlot(text, `${key} in ${this.target.url}`) };
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw this.unavailable('read', fullKey, error);
    }
  }

  private unavailable(op: 'read' | 'write' | 'list' | 'delete', key: string, cause: unknown) {
    return storeUnavailable(op, { url: this.target.url, bucket: this.target.bucket, key }, cause);
  }
}
