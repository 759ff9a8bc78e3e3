import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DeployError } from '../errors';
import { parseDocument } from './documents';
import type { HeldSlot, SlotLease } from './slot-store';

/**
 * The document a slot object holds (DESIGN §4): the lease, plus a random
 * `nonce` that is new on every write. The nonce makes every write's bytes, and
 * so its tag (S3 ETag = MD5 of the bytes; local: a hash of the bytes), unique:
 * an old tag never matches a later write of the same holder, and a writer can
 * recognise its own write when the answer to it was lost and the SDK retried.
 */
export const slotDocumentSchema = z.object({
  holder: z.string().min(1),
  version: z.string().min(1),
  acquiredAt: z.string().datetime({ offset: true }),
  expiresAt: z.string().datetime({ offset: true }),
  nonce: z.string().min(1),
});

export type SlotDocument = z.infer<typeof slotDocumentSchema>;

/** What a backend read from a slot key: its bytes' tag, and the document (undefined when no agent wrote it). */
export interface SlotObject {
  readonly etag: string;
  readonly document: SlotDocument | undefined;
}

export interface SlotRequest {
  readonly maxUnavailable: number;
  readonly holder: string;
  readonly version: string;
  readonly leaseMs: number;
}

/** Where slot objects live, relative to the store's prefix. */
export const SLOTS_FOLDER = 'locks/';

export function slotKey(index: number): string {
  return `${SLOTS_FOLDER}slot-${index}.json`;
}

/** The slot number of a file name under locks/ ("slot-3.json" → 3), undefined for anything else. */
export function slotIndexOf(name: string): number | undefined {
  const match = /^slot-(0|[1-9][0-9]{0,5})\.json$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Refuses a request no slot could satisfy, naming the field. */
export function assertSlotRequest(request: SlotRequest): void {
  if (!Number.isInteger(request.maxUnavailable) || request.maxUnavailable < 1) {
    throw new DeployError('INVALID_OPTIONS', `maxUnavailable must be an integer ≥ 1, got ${request.maxUnavailable}`);
  }
  if (!Number.isFinite(request.leaseMs) || request.leaseMs <= 0) {
    throw new DeployError('INVALID_OPTIONS', `leaseMs must be a positive number of milliseconds, got ${request.leaseMs}`);
  }
  if (request.holder === '') throw new DeployError('INVALID_OPTIONS', 'holder (the instance id) must not be empty');
}

/** A fresh lease for `holder`, from now for `leaseMs`. */
export function newSlotDocument(request: Pick<SlotRequest, 'holder' | 'version'>, leaseMs: number, nowMs: number): SlotDocument {
  const acquiredAt = new Date(nowMs).toISOString();
  return { holder: request.holder, version: request.version, acquiredAt, expiresAt: new Date(nowMs + leaseMs).toISOString(), nonce: newNonce() };
}

/** The same lease, extended to now + `leaseMs` (never shortened). */
export function renewedSlotDocument(lease: SlotLease, leaseMs: number, nowMs: number): SlotDocument {
  const expiresMs = Math.max(nowMs + leaseMs, Date.parse(lease.expiresAt));
  return { ...leaseOf(lease), expiresAt: new Date(expiresMs).toISOString(), nonce: newNonce() };
}

/**
 * Whether anyone may take the slot over: its lease has expired, or it holds
 * something no agent wrote (slot objects are written whole on both backends,
 * so a bad one is foreign, not half-written).
 */
export function isTakeable(object: SlotObject, nowMs: number): boolean {
  return object.document === undefined || Date.parse(object.document.expiresAt) <= nowMs;
}

/**
 * The document holds the very lease `lease` describes (same holder, same
 * `acquiredAt`), whatever its tag: a write of ours that landed while its
 * answer was lost (S3: the SDK's retries spent) left the store a newer tag
 * than the one we hold. Renewals keep `acquiredAt`; a takeover, even by the
 * same holder, starts a new one.
 */
export function isSameLease(document: SlotDocument | undefined, lease: SlotLease): document is SlotDocument {
  return document !== undefined && document.holder === lease.holder && document.acquiredAt === lease.acquiredAt;
}

export function serializeSlot(document: SlotDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The document in `text`, or undefined when it is not one. */
export function parseSlot(text: string, what: string): SlotDocument | undefined {
  try {
    return parseDocument(slotDocumentSchema, text, what);
  } catch {
    return undefined;
  }
}

/** Just the lease fields (the nonce stays in the store). */
export function leaseOf(lease: SlotLease): SlotLease {
  return { holder: lease.holder, version: lease.version, acquiredAt: lease.acquiredAt, expiresAt: lease.expiresAt };
}

export function heldSlot(index: number, etag: string, document: SlotDocument): HeldSlot {
  return { index, key: slotKey(index), etag, lease: leaseOf(document) };
}

/** The slot was taken over (its lease expired) or given back by someone else. */
export function slotLost(slot: HeldSlot, url: string, cause?: unknown): DeployError {
  return new DeployError(
    'SLOT_LOST',
    `service-out slot ${slot.key} in ${url} is no longer held by ${slot.lease.holder} (its lease of ${slot.lease.expiresAt} expired and another instance took it, or it was removed); ` +
      'stop taking this instance out of service and raise loadBalancer.slotLeaseMs if renewals cannot keep up',
    { cause },
  );
}

function newNonce(): string {
  return randomBytes(8).toString('hex');
}
