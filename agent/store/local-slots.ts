import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, tempPathBeside, writeFileAtomic } from '../fs/atomic-write';
import { DeployError } from '../errors';
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

/**
 * A claim file older than this belongs to an agent that died inside the few
 * file operations a claim guards; anyone may break it. Generous, so that a
 * slow shared file system or a clock a little off never breaks a live claim.
 */
export const CLAIM_STALE_MS = 60_000;

/**
 * Service-out slots in a local (or shared NFS/EFS) store directory
 * (DESIGN §4): locks/slot-K.json.
 *
 * - Taking a free slot is an exclusive create: the document is written to a
 *   temp file (open 'wx', write, fsync), then link(2)ed to its name, which
 *   fails with EEXIST when the name exists. Readers never see a half-written
 *   slot, and of two racing agents exactly one link succeeds.
 * - A slot's tag is a hash of its bytes; each write carries a new nonce, so
 *   every write has its own tag.
 * - Every other change of an existing slot (take over an expired lease,
 *   renew, release) is a compare-and-swap: the changer first exclusively
 *   creates the claim file `locks/.slot-K.json.<tag>.claim` for the tag it
 *   read, then re-reads the slot and acts only if the tag is still that one.
 *   Only the claim's winner may change that generation of the slot, so two
 *   agents taking over one expired lease, or a late renewal racing a takeover,
 *   cannot both succeed: the loser either fails to claim, or finds a new tag.
 *   Takeover and renewal replace the file with rename(2) (atomic, never
 *   missing); release unlinks it, after which the free path applies.
 * - A claim left by an agent that died inside it is broken after
 *   {@link CLAIM_STALE_MS}: the breaker renames it to a unique name and keeps
 *   it only if it is the very file (inode) it saw stale; otherwise it links
 *   the claim back and gives up this round.
 */
export class LocalSlots implements SlotStore {
  constructor(
    private readonly root: string,
    private readonly url: string,
    private readonly now: () => number = Date.now,
  ) {}

  async tryAcquireSlot(request: SlotRequest): Promise<HeldSlot | undefined> {
    assertSlotRequest(request);
    await this.ensureFolder();
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
      const text = serializeSlot(document);
      if (await this.swapIf(slot.key, held.etag, text)) return heldSlot(slot.index, tagOf(text), document);
      const current = await this.read(slot.key);
      if (current === undefined || !isSameLease(current.document, slot.lease)) break;
      held = heldSlot(slot.index, current.etag, current.document);
    }
    throw slotLost(slot, this.url);
  }

  async releaseSlot(slot: HeldSlot): Promise<void> {
    let etag = slot.etag;
    for (let round = 0; round < 2; round++) {
      if (await this.swapIf(slot.key, etag, undefined)) return;
      const current = await this.read(slot.key);
      if (current === undefined || !isSameLease(current.document, slot.lease)) return;
      etag = current.etag;
    }
  }

  async listSlots(): Promise<HeldSlot[]> {
    let names: string[];
    try {
      names = await readdir(this.file(SLOTS_FOLDER));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw this.unavailable('read', SLOTS_FOLDER, error);
    }
    const slots: HeldSlot[] = [];
    for (const name of names) {
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
      const freshText = serializeSlot(fresh);
      if (await this.createExclusive(key, freshText)) return heldSlot(index, tagOf(freshText), fresh);
      const current = await this.read(key);
      if (current === undefined) continue;
      if (!isTakeable(current, this.now())) return undefined;
      const takeover = newSlotDocument(request, request.leaseMs, this.now());
      const text = serializeSlot(takeover);
      return (await this.swapIf(key, current.etag, text)) ? heldSlot(index, tagOf(text), takeover) : undefined;
    }
    return undefined;
  }

  /** Creates `key` holding `text` unless it exists: temp file, fsync, link(2). */
  private async createExclusive(key: string, text: string): Promise<boolean> {
    const target = this.file(key);
    const temp = tempPathBeside(target);
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(temp, target);
    } catch (error) {
      if (isExists(error)) return false;
      throw this.unavailable('write', key, error);
    } finally {
      await rm(temp, { force: true });
    }
    await fsyncDir(path.dirname(target));
    return true;
  }

  /**
   * Replaces `key` with `text` (or removes it when `text` is undefined), only
   * if its tag is still `expectedTag`. False when it is not (or someone else
   * is changing it right now).
   */
  private async swapIf(key: string, expectedTag: string, text: string | undefined): Promise<boolean> {
    const claim = await this.claim(key, expectedTag);
    if (claim === undefined) return false;
    try {
      const current = await this.read(key);
      if (current?.etag !== expectedTag) return false;
      if (text === undefined) {
        await rm(this.file(key), { force: true });
        await fsyncDir(path.dirname(this.file(key)));
      } else {
        await writeFileAtomic(this.file(key), text);
      }
      return true;
    } catch (error) {
      throw this.unavailable('write', key, error);
    } finally {
      await rm(claim, { force: true });
    }
  }

  /** Exclusively creates the claim on `tag` of `key`; its path, or undefined when someone else holds it. */
  private async claim(key: string, tag: string): Promise<string | undefined> {
    const target = this.file(key);
    const claimPath = path.join(path.dirname(target), `.${path.basename(target)}.${tag}.claim`);
    for (let round = 0; round < 2; round++) {
      try {
        const handle = await open(claimPath, 'wx', 0o644);
        await handle.close();
        return claimPath;
      } catch (error) {
        if (!isExists(error)) throw this.unavailable('write', key, error);
      }
      if (!(await this.breakStaleClaim(claimPath))) return undefined;
    }
    return undefined;
  }

  /** Removes a claim whose owner died (older than CLAIM_STALE_MS). True when it is gone. */
  private async breakStaleClaim(claimPath: string): Promise<boolean> {
    const seen = await stat(claimPath).catch(() => undefined);
    if (seen === undefined) return true;
    if (this.now() - seen.mtimeMs < CLAIM_STALE_MS) return false;
    const moved = `${claimPath}.${randomBytes(6).toString('hex')}.broken`;
    try {
      await rename(claimPath, moved);
    } catch (error) {
      if (isNotFound(error)) return true; // someone else broke it first
      throw error;
    }
    const taken = await stat(moved);
    if (taken.ino !== seen.ino || taken.dev !== seen.dev) {
      // Between our stat and our rename the stale claim was broken and a live one made: give it back.
      await link(moved, claimPath).catch(() => undefined);
      await rm(moved, { force: true });
      return false;
    }
    await rm(moved, { force: true });
    return true;
  }

  private async read(key: string): Promise<SlotObject | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(key), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.unavailable('read', key, error);
    }
    return { etag: tagOf(text), document: parseSlot(text, `${key} in ${this.url}`) };
  }

  private async ensureFolder(): Promise<void> {
    try {
      await mkdir(this.file(SLOTS_FOLDER), { recursive: true });
    } catch (error) {
      throw this.unavailable('write', SLOTS_FOLDER, error);
    }
  }

  private file(key: string): string {
    return path.join(this.root, ...key.split('/').filter((part) => part !== ''));
  }

  private unavailable(op: 'read' | 'write', key: string, cause: unknown): DeployError {
    if (cause instanceof DeployError) return cause;
    return new DeployError('STORE_UNAVAILABLE', `cannot ${op} ${key} in ${this.url}: ${(cause as Error).message}`, { cause });
  }
}

/** A local slot's tag: a hash of its bytes (which differ on every write, see slot-document.ts). */
function tagOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function isExists(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST';
}
