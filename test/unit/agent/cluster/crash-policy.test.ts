import { CrashPolicy, type CrashDecision, type CrashPolicyOptions } from '../../../../agent/cluster/crash-policy';
import { supervisorDefaults } from '../../../../agent/cluster/supervisor-options';

/** The options the supervisor builds from its defaults (see supervisor.ts crashPolicyOptions). */
const defaults: CrashPolicyOptions = {
  initialMs: supervisorDefaults.restartBackoffInitialMs,
  maxMs: supervisorDefaults.restartBackoffMaxMs,
  resetAfterMs: supervisorDefaults.restartResetAfterMs,
  loopCount: supervisorDefaults.crashLoopCount,
  loopWindowMs: supervisorDefaults.crashLoopWindowMs,
};

/** No crash loop: the window is so short that no two crashes share it. */
const noLoop: CrashPolicyOptions = { ...defaults, loopWindowMs: 1 };

function delayOf(decision: CrashDecision): number {
  if (decision.action !== 'restart') throw new Error(`expected a restart, got ${JSON.stringify(decision)}`);
  return decision.delayMs;
}

describe('CrashPolicy defaults', () => {
  test('pins the documented defaults: 100 ms doubling to 30 s, reset after 60 s, 5 crashes in 60 s', () => {
    expect(defaults).toEqual({ initialMs: 100, maxMs: 30_000, resetAfterMs: 60_000, loopCount: 5, loopWindowMs: 60_000 });
  });
});

describe('CrashPolicy backoff', () => {
  test('restarts after 100, 200, 400, … ms and caps the delay at 30000 ms', () => {
    const policy = new CrashPolicy(noLoop);
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) delays.push(delayOf(policy.onCrash(i * 10, 5)));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]);
  });

  test.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [9, 25_600],
    [10, 30_000],
    [40, 30_000],
  ])('the crash number %i in a row waits %i ms', (n, expected) => {
    const policy = new CrashPolicy(noLoop);
    let last: CrashDecision | undefined;
    for (let i = 0; i < n; i++) last = policy.onCrash(i * 10, 5);
    expect(last).toEqual({ action: 'restart', delayMs: expected });
  });

  test('a worker that lived at least resetAfterMs starts the backoff again at 100 ms', () => {
    const policy = new CrashPolicy(noLoop);
    expect(delayOf(policy.onCrash(0, 5))).toBe(100);
    expect(delayOf(policy.onCrash(10, 5))).toBe(200);
    expect(delayOf(policy.onCrash(20, 5))).toBe(400);
    expect(delayOf(policy.onCrash(100_000, 60_000))).toBe(100);
    expect(delayOf(policy.onCrash(100_010, 5))).toBe(200);
  });

  test('a worker that lived just under resetAfterMs keeps doubling', () => {
    const policy = new CrashPolicy(noLoop);
    expect(delayOf(policy.onCrash(0, 5))).toBe(100);
    expect(delayOf(policy.onCrash(100_000, 59_999))).toBe(200);
  });
});

describe('CrashPolicy crash-loop guard', () => {
  test('gives up on a slot after 5 crashes within 60 s', () => {
    const policy = new CrashPolicy(defaults);
    const decisions = [0, 10_000, 20_000, 30_000, 40_000].map((t) => policy.onCrash(t, 100));
    expect(decisions.slice(0, 4).map((d) => d.action)).toEqual(['restart', 'restart', 'restart', 'restart']);
    expect(decisions[4]).toEqual({ action: 'give-up', crashes: 5 });
  });

  test('gives up on the 5th crash even when every worker lived past resetAfterMs', () => {
    const policy = new CrashPolicy({ ...defaults, resetAfterMs: 1_000 });
    const decisions = [0, 5_000, 10_000, 15_000, 20_000].map((t) => policy.onCrash(t, 2_000));
    expect(decisions.slice(0, 4)).toEqual(Array.from({ length: 4 }, () => ({ action: 'restart', delayMs: 100 })));
    expect(decisions[4]).toEqual({ action: 'give-up', crashes: 5 });
  });

  test('crashes older than the 60 s window do not count towards the loop', () => {
    const policy = new CrashPolicy(defaults);
    for (const t of [0, 1_000, 2_000, 3_000]) expect(policy.onCrash(t, 100).action).toBe('restart');
    // 60 s after the first crash it has left the window: only 4 crashes are within it.
    expect(policy.onCrash(60_000, 100).action).toBe('restart');
    // the crash at 1 s leaves at 61 s; 2 s, 3 s, 60 s, 61 s and 61.5 s make 5.
    expect(policy.onCrash(61_000, 100).action).toBe('restart');
    expect(policy.onCrash(61_500, 100)).toEqual({ action: 'give-up', crashes: 5 });
  });

  test('crashes spread wider than the window never give up', () => {
    const policy = new CrashPolicy(defaults);
    for (let i = 0; i < 20; i++) expect(policy.onCrash(i * 15_000, 100).action).toBe('restart');
  });
});

describe('CrashPolicy.reset', () => {
  test('clears the crash history: a new release gets 5 fresh crashes before give-up', () => {
    const policy = new CrashPolicy(defaults);
    for (const t of [0, 1, 2, 3]) expect(policy.onCrash(t, 5).action).toBe('restart');
    policy.reset();
    const after = [10, 11, 12, 13, 14].map((t) => policy.onCrash(t, 5));
    expect(after.slice(0, 4).map((d) => d.action)).toEqual(['restart', 'restart', 'restart', 'restart']);
    expect(after[4]).toEqual({ action: 'give-up', crashes: 5 });
  });

  test('clears the backoff: the next crash waits 100 ms again', () => {
    const policy = new CrashPolicy(defaults);
    for (const t of [0, 1, 2]) policy.onCrash(t, 5);
    expect(delayOf(policy.onCrash(3, 5))).toBe(800);
    policy.reset();
    expect(delayOf(policy.onCrash(4, 5))).toBe(100);
  });
});
