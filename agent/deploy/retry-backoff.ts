import type { InstanceStatus } from '../store/documents';

/**
 * A deploy that failed for a reason that says nothing about the release (the
 * store could not be reached, the download broke off, its service-out slot
 * was lost before any worker was replaced) is tried again, with
 * exponential backoff, instead of being remembered as failed until
 * desired.json changes (DESIGN §2): the instance converges once the store is
 * back, and a fleet does not hammer a struggling store.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['STORE_UNAVAILABLE', 'ARTIFACT_READ_FAILED', 'SLOT_LOST', 'SECRETS_UNAVAILABLE']);

/** The longest wait between two tries of one deploy. */
export const MAX_RETRY_DELAY_MS = 300_000;

export function isTransientFailure(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

/** When the deploy of `version` (under the desired.json tagged `desiredEtag`) may be tried again. */
export interface RetryPlan {
  readonly version: string;
  readonly desiredEtag: string;
  /** Tries that failed so far. */
  readonly attempts: number;
  readonly delayMs: number;
  readonly notBeforeMs: number;
}

/**
 * The plan after one more transient failure: `baseMs` doubled per failed try,
 * capped at MAX_RETRY_DELAY_MS, and jittered to between half and all of that
 * (instances that failed together do not retry together). A failure of another
 * version or desired.json starts over at one try.
 */
export function planRetry(
  previous: RetryPlan | undefined,
  failed: { readonly version: string; readonly desiredEtag: string },
  nowMs: number,
  baseMs: number,
  random: () => number = Math.random,
): RetryPlan {
  const same = previous !== undefined && previous.version === failed.version && previous.desiredEtag === failed.desiredEtag;
  const attempts = same ? previous.attempts + 1 : 1;
  const ceilingMs = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(attempts - 1, 30));
  const delayMs = Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
  return { ...failed, attempts, delayMs, notBeforeMs: nowMs + delayMs };
}

/** What the status report says of a deploy waiting to be tried again (instances/<id>.json `retrying`). */
export type RetryNote = NonNullable<InstanceStatus['retrying']>;

export function retryNote(plan: RetryPlan, errorCode: string, error: string): RetryNote {
  return { version: plan.version, errorCode, error, attempts: plan.attempts, nextTryAt: new Date(plan.notBeforeMs).toISOString() };
}

/** False while `plan` says to wait before trying this version (under this desired.json) again. */
export function retryDue(plan: RetryPlan | undefined, version: string, desiredEtag: string, nowMs: number): boolean {
  if (plan === undefined || plan.version !== version || plan.desiredEtag !== desiredEtag) return true;
  return nowMs >= plan.notBeforeMs;
}
