import type { InstanceView } from '../../../../cli/fleet/fleet';
import { statusText } from '../../../../cli/output/status-view';

/** One instance as the store reports it: v1 runs, idle, 2/2 workers. */
function instance(extra: Partial<InstanceView>): InstanceView {
  return {
    instanceId: 'i-1',
    agentVersion: '1.0.0',
    running: 'v1',
    desired: 'v2',
    state: 'idle',
    workers: { ready: 2, total: 2 },
    lastDeploy: { version: 'v1', result: 'succeeded', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1000 },
    updatedAt: '2026-01-01T00:00:05.000Z',
    ageMs: 1000,
    stale: false,
    ...extra,
  };
}

describe('deployctl status text', () => {
  it('says a deploy waits to be tried again (retrying) in LAST DEPLOY, with its code and failed tries', () => {
    const retrying = { version: 'v2', errorCode: 'SLOT_LOST', error: 'lost service-out slot locks/slot-0.json while draining for v2', attempts: 2, nextTryAt: '2026-01-01T00:01:00.000Z' };
    const lines = statusText({ desired: undefined, instances: [instance({ retrying })] }, 'file:///store');
    expect(lines[2]).toContain('v2 retrying after SLOT_LOST (2 failed)');
  });

  it('shows the last deploy when nothing waits to be tried again', () => {
    const lines = statusText({ desired: undefined, instances: [instance({})] }, 'file:///store');
    expect(lines[2]).toContain('v1 succeeded');
    expect(lines[2]).not.toContain('retrying');
  });
});
