import type { InstanceStatus } from '../../../../agent/store/documents';
import { viewInstances, type InstanceView } from '../../../../cli/fleet/fleet';
import { describePending, judgeRollout, rolloutBaseline } from '../../../../cli/fleet/rollout-check';

const NOW = Date.parse('2030-01-01T00:10:00.000Z');

function report(id: string, overrides: Partial<InstanceStatus> = {}, ageMs = 1_000): InstanceStatus {
  return {
    instanceId: id,
    agentVersion: '0.1.0',
    running: 'v2',
    desired: 'v2',
    state: 'idle',
    workers: { ready: 2, total: 2 },
    lastDeploy: { version: 'v2', result: 'succeeded', startedAt: '2030-01-01T00:09:00.000Z', durationMs: 900 },
    updatedAt: new Date(NOW - ageMs).toISOString(),
    ...overrides,
  };
}

function fleet(...reports: InstanceStatus[]): InstanceView[] {
  return viewInstances(reports, 90_000, NOW);
}

const none = rolloutBaseline([]);

describe('judgeRollout', () => {
  it('is converged when every live instance runs the version idle with all workers ready', () => {
    const verdict = judgeRollout('v2', fleet(report('i-1'), report('i-2')), none);
    expect(verdict.kind).toBe('converged');
  });

  it('ignores stale and stopped instances, but waits while none is live', () => {
    const stale = report('i-old', { running: 'v1', state: 'rolling' }, 120_000);
    const stopped = report('i-stopped', { running: 'v1', state: 'stopped', workers: { ready: 0, total: 2 } });
    expect(judgeRollout('v2', fleet(report('i-1'), stale, stopped), none)).toMatchObject({ kind: 'converged', instances: [{ instanceId: 'i-1' }] });
    expect(judgeRollout('v2', fleet(stale, stopped), none)).toEqual({ kind: 'waiting', pending: [] });
  });

  it.each<[string, Partial<InstanceStatus>]>([
    ['another version', { running: 'v1', lastDeploy: null }],
    ['a deploy step', { state: 'rolling' }],
    ['workers not all ready', { workers: { ready: 1, total: 2 } }],
    ['no workers', { workers: { ready: 0, total: 0 } }],
  ])('waits for an instance with %s', (_, overrides) => {
    expect(judgeRollout('v2', fleet(report('i-1'), report('i-2', overrides)), none)).toMatchObject({ kind: 'waiting', pending: [{ instanceId: 'i-2' }] });
  });

  it('fails on an instance that failed or rolled back the version', () => {
    const failed = report('i-2', { running: 'v1', lastDeploy: { version: 'v2', result: 'rolled-back', error: 'boom', startedAt: 'x', durationMs: 1 } });
    expect(judgeRollout('v2', fleet(report('i-1', { state: 'rolling' }), failed), none)).toMatchObject({ kind: 'failed', failed: [{ instanceId: 'i-2' }] });
  });

  it('does not take a failure reported before the flip for an answer to it', () => {
    const before = report('i-1', { running: 'v1', lastDeploy: { version: 'v2', result: 'failed', error: 'old', startedAt: '2030-01-01T00:00:00.000Z', durationMs: 1 } });
    const baseline = rolloutBaseline([before]);
    expect(judgeRollout('v2', fleet(before), baseline)).toMatchObject({ kind: 'waiting', pending: [{ instanceId: 'i-1' }] });

    const retried = report('i-1', { running: 'v1', lastDeploy: { version: 'v2', result: 'failed', error: 'new', startedAt: '2030-01-01T00:09:30.000Z', durationMs: 1 } });
    expect(judgeRollout('v2', fleet(retried), baseline)).toMatchObject({ kind: 'failed' });
  });
});

describe('describePending', () => {
  it('says what the instance runs and does instead', () => {
    expect(describePending(report('i-1', { running: 'v41', state: 'rolling', workers: { ready: 1, total: 2 } }))).toBe('i-1 (running v41, state rolling, workers 1/2)');
    expect(describePending(report('i-2', { running: null, state: 'fetching', workers: { ready: 0, total: 0 } }))).toBe('i-2 (running nothing, state fetching, workers 0/0)');
  });
});
