import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseDocument } from '../store/documents';

/**
 * `locks/once-<version>.json` (DESIGN §8): the lease of the agent running a
 * release's `once` hook, then, for good, its result. Every write carries a new
 * nonce, so every write has its own tag (as slot documents do).
 */
export const onceDocumentSchema = z.object({
  version: z.string().min(1),
  holder: z.string().min(1),
  acquiredAt: z.string(),
  expiresAt: z.string(),
  nonce: z.string().min(1),
  /** Takeovers so far (a runner died or stopped). */
  attempt: z.number().int().min(1),
  /** Set once the hook has finished; the document never changes again. */
  result: z
    .object({
      ok: z.boolean(),
      /** HOOK_FAILED or HOOK_TIMEOUT when not ok. */
      code: z.string().optional(),
      message: z.string().optional(),
      by: z.string(),
      at: z.string(),
    })
    .optional(),
});

export type OnceDocument = z.infer<typeof onceDocumentSchema>;
export type OnceResult = NonNullable<OnceDocument['result']>;

export function onceLockKey(version: string): string {
  return `locks/once-${version}.json`;
}

export function newOnceDocument(version: string, holder: string, leaseMs: number, nowMs: number, attempt: number): OnceDocument {
  return {
    version,
    holder,
    acquiredAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + leaseMs).toISOString(),
    nonce: nonce(),
    attempt,
  };
}

export function renewedOnceDocument(document: OnceDocument, leaseMs: number, nowMs: number): OnceDocument {
  return { ...document, expiresAt: new Date(Math.max(nowMs + leaseMs, Date.parse(document.expiresAt))).toISOString(), nonce: nonce() };
}

/** The lease ends now: the next agent to look takes over at once (the holder stopped). */
export function givenUpOnceDocument(document: OnceDocument, nowMs: number): OnceDocument {
  return { ...document, expiresAt: new Date(nowMs).toISOString(), nonce: nonce() };
}

export function finishedOnceDocument(document: OnceDocument, result: OnceResult): OnceDocument {
  return { ...document, result, nonce: nonce() };
}

/** Whether another agent may take the run over: no result yet and the lease has run out (or it is not ours to read). */
export function isOnceTakeable(document: OnceDocument | undefined, nowMs: number): boolean {
  return document === undefined || (document.result === undefined && Date.parse(document.expiresAt) <= nowMs);
}

export function serializeOnce(document: OnceDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The document in `text`, or undefined when no agent wrote it (then it is taken over like an expired lease). */
export function parseOnce(text: string, what: string): OnceDocument | undefined {
  try {
    return parseDocument(onceDocumentSchema, text, what);
  } catch {
    return undefined;
  }
}

function nonce(): string {
  return randomBytes(8).toString('hex');
}
