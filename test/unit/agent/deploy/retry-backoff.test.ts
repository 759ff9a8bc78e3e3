import { isTransientFailure, MAX_RETRY_DELAY_MS, planRetry, retryDue, type RetryPlan } from '../../../../agent/deploy/retry-backoff';

const v2 = { version: 'v2', desiredEtag: 'etag-1' };
const BASE_MS = 1000;
/** A plan after `n` failed tries in a row, with the jitter pinned to `random`. */
function after(n: number, random: () => number): RetryPlan {
  let plan: RetryPlan | undefined;
  for (let i = 0; i < n; i++) plan = planRetry(plan, v2, 0, BASE_MS, random);
  if (!plan) throw new Error('no plan');
  return plan;
}

describe('retrying a deploy that failed for a transient reason', () => {
  test.each(['STORE_UNAVAILABLE', 'ARTIFACT_READ_FAILED'])('%s is transient: the store or the download failed, not the release', (code) => {
    expect(isTransientFailure(code)).toBe(true);
  });

  test.each(['ARTIFACT_HASH_MISMATCH', 'UNPACK_IO_FAILED', 'ROLL_FAILED', 'MANIFEST_NOT_FOUND', 'STORE_NOT_FOUND', 'UNEXPECTED'])(
    '%s is not transient: the version is remembered as failed',
    (code) => {
      expect(isTransientFailure(code)).toBe(false);
    },
  );

  it('doubles the wait with each failed try, between half and all of the doubled base', () => {
    const ceilings = [1, 2, 3, 4].map((n) => after(n, () => 1).delayMs);
    const floors = [1, 2, 3, 4].map((n) => after(n, () => 0).delayMs);
    expect(ceilings).toEqual([BASE_MS, 2 * BASE_MS, 4 * BASE_MS, 8 * BASE_MS]);
    expect(floors).toEqual([BASE_MS / 2, BASE_MS, 2 * BASE_MS, 4 * BASE_MS]);
    expect(after(4, () => 1).attempts).toBe(4);
  });

  it('never waits longer than MAX_RETRY_DELAY_MS, however many tries failed', () => {
    expect(after(60, () => 1).delayMs).toBe(MAX_RETRY_DELAY_MS);
  });

  it('starts over when another version or another desired.json fails', () => {
    const third = after(3, () => 1);
    expect(planRetry(third, { version: 'v3', desiredEtag: 'etag-2' }, 0, BASE_MS, () => 1)).toMatchObject({ attempts: 1, delayMs: BASE_MS });
    expect(planRetry(third, { version: 'v2', desiredEtag: 'etag-2' }, 0, BASE_MS, () => 1)).toMatchObject({ attempts: 1 });
  });

  it('holds back only the planned version under the planned desired.json, until the planned moment', () => {
    const plan = planRetry(undefined, v2, 10_000, BASE_MS, () => 1);
    expect(plan.notBeforeMs).toBe(10_000 + BASE_MS);
    expect(retryDue(plan, 'v2', 'etag-1', plan.notBeforeMs - 1)).toBe(false);
    expect(retryDue(plan, 'v2', 'etag-1', plan.notBeforeMs)).toBe(true);
    expect(retryDue(plan, 'v3', 'etag-1', 0)).toBe(true);
    expect(retryDue(plan, 'v2', 'etag-2', 0)).toBe(true);
    expect(retryDue(undefined, 'v2', 'etag-1', 0)).toBe(true);
  });
});
