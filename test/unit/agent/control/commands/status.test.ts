import { describeStatus } from '../../../../../agent/control/commands/status';
import type { ControlStatus } from '../../../../../agent/control/control-status';

const base: ControlStatus = {
  instanceId: 'i-1',
  agentVersion: '1.0.0',
  running: 'v1',
  desired: 'v2',
  state: 'idle',
  workers: { ready: 2, total: 2 },
  lastDeploy: null,
  pid: 4242,
  configPath: '/etc/deploy-agent/agent.json',
  current: 'v1',
  previous: null,
  target: null,
  failed: null,
  slots: [],
};

describe('deploy-agent status text', () => {
  it('has a retrying line naming the version, when it is tried again and what the last try failed with', () => {
    const retrying = { version: 'v2', errorCode: 'SLOT_LOST', error: 'lost service-out slot locks/slot-0.json while draining for v2', attempts: 1, nextTryAt: '2026-01-01T00:01:00.000Z' };
    expect(describeStatus({ ...base, retrying })).toContain(
      'retrying     v2 at 2026-01-01T00:01:00.000Z (try 1 failed with SLOT_LOST: lost service-out slot locks/slot-0.json while draining for v2)',
    );
  });

  it('has no retrying line when nothing waits to be tried again', () => {
    expect(describeStatus(base).some((line) => line.startsWith('retrying'))).toBe(false);
  });
});
