import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalStore } from '../../../../agent/store/local-store';
import { describeTarget } from '../../../support/elbv2/wait-for-target';
import { startServiceOutFleet, type ServiceOutFleet } from '../../../support/service-out-fleet';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

describe('SIGTERM while a service-out deploy waits for its slot', () => {
  let fleet: ServiceOutFleet | undefined;
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  });

  it('stops at once, out of the target group, and does not mark the version failed (it is tried again after a restart)', async () => {
    fleet = await startServiceOutFleet({ instances: 1 });
    const instance = fleet.instances[0];
    if (!instance) throw new Error('one instance expected');
    // Another instance holds the fleet's only slot, for longer than this test.
    const store = new LocalStore(fleet.store);
    const held = await store.slots.tryAcquireSlot({ maxUnavailable: 1, holder: 'i-0another000000001', version: 'v2', leaseMs: 600_000 });
    expect(held).toBeDefined();

    const push = await fleet.push('v2', { strategy: 'service-out' });
    expect(push.code).toBe(0);
    await waitUntil(() => instance.agent.logs.some((l) => String(l.msg).startsWith('waiting for a service-out slot; held by i-0another000000001')), 20_000, 'the agent to wait for the slot');

    instance.agent.kill('SIGTERM');
    const exit = await withTimeout(instance.agent.exited, 30_000, 'the agent to stop');

    expect(exit).toEqual({ code: 0, signal: null });
    expect(['draining', undefined]).toContain((await describeTarget(fleet.client, fleet.arn, instance.id))?.TargetHealth?.State);
    const state = JSON.parse(readFileSync(path.join(fleet.work, 'agent-1', 'state.json'), 'utf8')) as { current: string; failed: unknown };
    expect(state).toMatchObject({ current: 'v1', failed: null });
    const slots = await store.slots.listSlots();
    expect(slots.map((s) => s.lease.holder)).toEqual(['i-0another000000001']);
  });
});
