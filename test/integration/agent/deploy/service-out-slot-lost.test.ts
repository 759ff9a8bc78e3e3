import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readInstanceReport, reportsLive } from '../../../support/agent-harness';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { holdRequest, type HeldRequest } from '../../../support/held-request';
import { instanceInStep, storeSlots, targetState } from '../../../support/service-out-faults';
import { startServiceOutFleet, type ServiceOutFleet } from '../../../support/service-out-fleet';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

/** Far below the drain the held connection would make (the target group's 120 s deregistration delay). */
const BACK_WITHIN_MS = 40_000;

describe('a service-out deploy that loses its slot', () => {
  let fleet: ServiceOutFleet | undefined;
  let held: HeldRequest | undefined;
  afterEach(async () => {
    held?.release();
    await fleet?.stop();
    fleet = undefined;
  });

  it('while draining: stops draining, puts the instance back in service with the old workers at once, says so in the log and the status report, and deploys again once a slot is free', async () => {
    fleet = await startServiceOutFleet({ instances: 1, targetGroup: { deregistrationDelayS: 120 }, loadBalancer: { slotLeaseMs: 10_000 } });
    const instance = fleet.instances[0];
    if (!instance) throw new Error('one instance expected');
    const { id } = instance;
    held = await holdRequest(instance.port); // an open connection: the drain cannot end early
    await fleet.push('v2', { strategy: 'service-out' });
    await waitUntil(() => instanceInStep(fleet as ServiceOutFleet, 'draining', 'v2') !== undefined, 30_000, `${id} to be draining for v2`);
    await waitUntil(() => targetState(fleet as ServiceOutFleet, id) === 'draining', 30_000, `target ${id} to be draining`);

    // Another instance takes the slot over (as after a lease that ran out): the keeper's next renewal finds it gone.
    const now = Date.now();
    const theirs = { holder: 'i-other', version: 'v9', acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + 10 * 60_000).toISOString(), nonce: 'theirs' };
    writeFileSync(path.join(fleet.store, 'locks', 'slot-0.json'), `${JSON.stringify(theirs)}\n`);

    await waitForTargetState(fleet.client, fleet.arn, id, 'healthy', BACK_WITHIN_MS);
    expect(await servedVersion(instance.port)).toBe('v1');
    const logs = instance.agent.logs;
    expect(logs).toContainEqual(
      expect.objectContaining({ code: 'SLOT_LOST', msg: expect.stringMatching(new RegExp(`^service-out slot locks/slot-0.json lost during the deploy of v2: putting ${id}:\\d+ back in service as soon as it is safe$`)) }),
    );
    const failed = (l: Record<string, unknown>): boolean =>
      l.level === 'error' && l.code === 'SLOT_LOST' && l.version === 'v2' && /^deploy of v2 failed; v1 keeps serving; trying again in \d+ s$/.test(String(l.msg));
    // The agent logs the failure once it has seen the target healthy itself (a poll after this test may have).
    await waitUntil(() => logs.some(failed), 10_000, 'the agent to log the deploy failed with SLOT_LOST and is tried again');
    expect(logs.filter((l) => l.version === 'v2').map((l) => l.step)).not.toContain('rolling');
    // The status report says it too: v1 runs, and v2 is tried again after SLOT_LOST.
    const saysRetrying = (): boolean => readInstanceReport((fleet as ServiceOutFleet).store, id)?.retrying?.errorCode === 'SLOT_LOST';
    await waitUntil(saysRetrying, 10_000, `${id}'s report to say the v2 deploy is tried again after SLOT_LOST`);
    expect(readInstanceReport(fleet.store, id)).toMatchObject({
      running: 'v1',
      state: 'idle',
      retrying: { version: 'v2', errorCode: 'SLOT_LOST', attempts: 1, error: expect.stringContaining('lost service-out slot locks/slot-0.json while draining for v2') },
    });
    expect((await storeSlots(fleet)).map((slot) => slot.lease.holder)).toEqual(['i-other']); // theirs, not given back by us

    // The other instance gives the slot back: the deploy is tried again and goes live.
    held.release();
    rmSync(path.join(fleet.store, 'locks', 'slot-0.json'));
    mkdirSync(path.join(fleet.store, 'locks'), { recursive: true });
    const store = fleet.store;
    await waitUntil(() => reportsLive(readInstanceReport(store, id), 'v2'), 90_000, `${id} to run v2 after the retry`);
    expect(readInstanceReport(store, id)?.retrying).toBeUndefined();
    await waitForTargetState(fleet.client, fleet.arn, id, 'healthy', 30_000);
  }, 240_000);

  it('while rolling: the roll (no traffic) finishes, the instance validates and registers at once, says so, and leaves the slot to its new holder', async () => {
    fleet = await startServiceOutFleet({ instances: 1, loadBalancer: { slotLeaseMs: 10_000 } });
    const instance = fleet.instances[0];
    if (!instance) throw new Error('one instance expected');
    const { id } = instance;
    // New workers take 8 s to boot: the keeper renews (every 3.3 s) while the roll runs.
    await fleet.push('v2', { strategy: 'service-out', fixture: { bootMs: 8_000 } });
    await waitUntil(() => instanceInStep(fleet as ServiceOutFleet, 'rolling', 'v2') !== undefined, 30_000, `${id} to be rolling to v2`);
    const now = Date.now();
    const theirs = { holder: 'i-other', version: 'v9', acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + 10 * 60_000).toISOString(), nonce: 'theirs' };
    writeFileSync(path.join(fleet.store, 'locks', 'slot-0.json'), `${JSON.stringify(theirs)}\n`);

    const store = fleet.store;
    await waitUntil(() => reportsLive(readInstanceReport(store, id), 'v2'), 60_000, `${id} to run v2`);
    await waitForTargetState(fleet.client, fleet.arn, id, 'healthy', 30_000);
    const logs = instance.agent.logs;
    const lostAt = logs.findIndex((l) => l.code === 'SLOT_LOST' && /^service-out slot locks\/slot-0.json lost during the deploy of v2: putting .* back in service as soon as it is safe$/.test(String(l.msg)));
    const validatingAt = logs.findIndex((l) => l.msg === 'step validating' && l.version === 'v2');
    expect(lostAt).toBeGreaterThan(-1);
    expect(validatingAt).toBeGreaterThan(lostAt); // lost during the roll, which went on
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'service-out slot locks/slot-0.json was lost; not giving it back (another instance holds it)' }));
    expect((await storeSlots(fleet)).map((slot) => slot.lease.holder)).toEqual(['i-other']);
  }, 240_000);
});
