import { parseRolloutFlags, resolvePolicy } from '../../../../cli/fleet/rollout-flags';
import { UsageError } from '../../../../cli/args/usage-error';

describe('the rollout flags of push and rollback', () => {
  it('are no policy at all when none is given (a plain push)', () => {
    expect(parseRolloutFlags({})).toBeUndefined();
  });

  it('default to batch 100%, max-failures 1, deadline 30m, revert, once any is given', () => {
    expect(parseRolloutFlags({ canary: '1' })).toEqual({
      canary: 1,
      batch: { text: '100%', percent: 100 },
      bakeMs: 0,
      maxFailures: { text: '1', count: 1 },
      deadlineMs: 30 * 60_000,
      revert: true,
    });
  });

  it('resolve percentages against the live fleet, rounded up and at least 1; 100% is no batch limit', () => {
    const request = parseRolloutFlags({ batch: '25%', 'max-failures': '10%', 'no-revert': true });
    if (!request) throw new Error('expected a policy');
    expect(resolvePolicy(request, 'v42', 10, 'ci', new Date('2030-01-01T00:00:00Z'))).toMatchObject({
      batch: '25%',
      batchSize: 3,
      maxFailures: '10%',
      maxFailuresCount: 1,
      revert: false,
      startedAt: '2030-01-01T00:00:00.000Z',
      id: expect.stringMatching(/^v42-[0-9a-z]+-[0-9a-f]{6}$/),
    });
    expect(resolvePolicy(request, 'v42', 0, 'ci')).toMatchObject({ batchSize: 1, maxFailuresCount: 1 });
    const all = parseRolloutFlags({ batch: '100%', canary: '2', bake: '30s' });
    if (!all) throw new Error('expected a policy');
    expect(resolvePolicy(all, 'v1', 50, 'ci')).toMatchObject({ batchSize: null, canary: 2, bakeMs: 30_000 });
  });

  it.each([
    [{ batch: '0' }, /--batch must be a whole number of 1 or more or a percentage like 25%, not "0"/],
    [{ batch: '150%' }, /--batch must be a percentage from 1% to 100%, not "150%"/],
    [{ 'max-failures': 'many' }, /--max-failures must be a whole number/],
    [{ canary: '-1' }, /--canary must be a whole number of 0 or more, not "-1"/],
    [{ bake: '30s' }, /--bake only applies with --canary N/],
    [{ deadline: 'soon' }, /--deadline must be a duration/],
  ])('refuse %j as a usage error naming the flag', (values, message) => {
    expect(() => parseRolloutFlags(values)).toThrow(UsageError);
    expect(() => parseRolloutFlags(values)).toThrow(message);
  });
});
