import type { InstanceStatus, Manifest } from '../../../../agent/store/documents';
import { planPrune } from '../../../../cli/publish/prune-plan';

function manifest(version: string, minute: number): Manifest {
  return {
    version,
    artifact: `releases/${version}.tar.gz`,
    sha256: '0'.repeat(64),
    size: 100,
    createdAt: `2030-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`,
    createdBy: 'test',
  };
}

function running(id: string, version: string): InstanceStatus {
  return {
    instanceId: id,
    agentVersion: '0.1.0',
    running: version,
    desired: version,
    state: 'idle',
    workers: { ready: 1, total: 1 },
    lastDeploy: null,
    updatedAt: '2000-01-01T00:00:00.000Z',
  };
}

// Listed out of order on purpose: the plan goes by createdAt.
const manifests = [manifest('v3', 3), manifest('v1', 1), manifest('v5', 5), manifest('v2', 2), manifest('v4', 4), manifest('v6', 6)];

describe('planPrune', () => {
  it('removes never-live releases first: after four failed pushes the good ones stay (#12.4)', () => {
    // v1 and v2 went live; v3..v6 (the newest) never did. v6 is desired.
    const desired = { version: 'v6', strategy: 'rolling' as const, updatedAt: '2030-01-01T00:07:00.000Z', previous: 'v5', lastGood: 'v2' };
    const plan = planPrune({ manifests, keep: 2, desired, statuses: [], wentLive: new Set(['v1', 'v2']) });
    expect(plan.remove.map((m) => m.version)).toEqual(['v3', 'v4']);
    expect(plan.kept.map((k) => [k.manifest.version, k.reasons])).toEqual([
      ['v1', ['newest live']],
      ['v2', ['newest live', 'lastGood']],
      ['v5', ['previous']],
      ['v6', ['desired']],
    ]);
  });

  it('fills the places left after the live releases with the newest never-live ones', () => {
    const plan = planPrune({ manifests, keep: 3, desired: undefined, statuses: [], wentLive: new Set(['v2']) });
    expect(plan.remove.map((m) => m.version)).toEqual(['v1', 'v3', 'v4']);
    expect(plan.kept.map((k) => k.manifest.version)).toEqual(['v2', 'v5', 'v6']);
  });

  it('removes all but the N newest by createdAt', () => {
    const plan = planPrune({ manifests, keep: 2, desired: undefined, statuses: [] });
    expect(plan.remove.map((m) => m.version)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(plan.kept.map((k) => [k.manifest.version, k.reasons])).toEqual([
      ['v5', ['newest']],
      ['v6', ['newest']],
    ]);
  });

  it('never removes the desired, the previous, or a version an instance reports running (stale or not)', () => {
    const desired = { version: 'v2', strategy: 'rolling' as const, updatedAt: '2030-01-01T00:07:00.000Z', previous: 'v6' };
    const plan = planPrune({ manifests, keep: 1, desired, statuses: [running('i-1', 'v3'), running('i-2', 'v3')] });
    expect(plan.remove.map((m) => m.version)).toEqual(['v1', 'v4', 'v5']);
    expect(plan.kept.map((k) => [k.manifest.version, k.reasons])).toEqual([
      ['v2', ['desired']],
      ['v3', ['running on i-1, i-2']],
      ['v6', ['newest', 'previous']],
    ]);
  });

  it('keeps everything when N covers every release', () => {
    expect(planPrune({ manifests, keep: 10, desired: undefined, statuses: [] }).remove).toEqual([]);
  });
});
