import { readInstanceReport, reportsLive } from '../support/agent-harness';
import { maxOutOfService, type TimelineEvent } from '../support/elbv2/elbv2-emulator';
import { waitForTargetState } from '../support/elbv2/wait-for-target';
import { startLoad, type LoadHandle } from '../support/load/load-client';
import { readStateFile } from '../support/release-invariants';
import { storeSlots, targetState } from '../support/service-out-faults';
import { startServiceOutFleet, type ServiceOutFleet } from '../support/service-out-fleet';
import { servedVersion } from '../support/spawned-agent';
import { waitUntil, withTimeout } from '../support/with-timeout';

/** How long the ELBv2 API answers nothing but throttling and 5xx (issue 7: 30 s). */
const OUTAGE_MS = 30_000;
/** The deploy's first steps up to its RegisterTargets: slot, fetch, unpack, drain (3 s delay), roll. */
const REACHES_REGISTER_WITHIN_MS = 60_000;
/** After the outage: the instance registered again, then two more service-out deploys. */
const SETTLES_AFTER_OUTAGE_MS = 90_000;

/**
 * A service-out deploy on 3 agents behind the ELBv2 emulator, HTTP load
 * through its listener; the API fails every request for 30 s from the first
 * RegisterTargets of the deploy (throttling, 500, 503 in turn).
 *
 * What the product is built to do (elbv2-client.ts, service-out.ts): the SDK's
 * retries (6 tries, backoff; for this mix at most ~13 s, plus the adaptive rate
 * limiter) outlast a burst, not an outage, so that RegisterTargets fails with
 * ELB_CALL_FAILED; the deploy rolls back on that instance and the version is
 * remembered as failed there. The instance is out of service meanwhile, so it
 * keeps its service-out slot until the agent has registered it again (healthy)
 * after the outage; only then may the other instances go out, one at a time.
 */
describe('the ELBv2 API answering throttling and 5xx for 30 s during a service-out deploy (3 agents)', () => {
  let fleet: ServiceOutFleet | undefined;
  let load: LoadHandle | undefined;
  afterEach(async () => {
    await load?.stop();
    load = undefined;
    await fleet?.stop();
    fleet = undefined;
  }, 60_000);

  it('rolls back the instance the outage hits with ELB_CALL_FAILED, registers it again after, and the others deploy one at a time with no failed request', async () => {
    const f = await startServiceOutFleet({ instances: 3 });
    fleet = f;
    const pids = f.instances.map((i) => i.agent.child.pid);
    const running = startLoad({ port: f.emulator.listenerPort, keepAliveConcurrency: 3, freshConcurrency: 2, pauseMs: 5 });
    load = running;
    await running.waitFor((r) => (r.versions.v1 ?? 0) > 50, 20_000, 'HTTP load on v1 through the listener');
    running.resetCounters();
    const from = Date.now();
    const outage = f.emulator.startOutage({ forMs: OUTAGE_MS, beginsWith: 'RegisterTargets' });

    await f.push('v2', { strategy: 'service-out' });
    const beganAt = await withTimeout(outage.began, REACHES_REGISTER_WITHIN_MS, 'the deploy to send its RegisterTargets');
    const endsAt = beganAt + OUTAGE_MS;
    const victimId = f.emulator.requests.find((r) => r.action === 'RegisterTargets' && r.status >= 400)?.params['Targets.member.1.Id'] ?? '';
    const victim = f.instance(victimId);
    const others = f.instances.filter((i) => i.id !== victimId);

    // The deploy fails on the victim, inside the outage, and is rolled back there.
    await waitUntil(() => readInstanceReport(f.store, victimId)?.lastDeploy?.version === 'v2', OUTAGE_MS + 30_000, `${victimId} to finish its deploy of v2`);
    expect(readInstanceReport(f.store, victimId)).toMatchObject({
      running: 'v1',
      lastDeploy: {
        version: 'v2',
        result: 'rolled-back',
        errorCode: 'ELB_CALL_FAILED',
        error: expect.stringMatching(new RegExp(`^RegisterTargets of ${victimId}:${victim.port} in target group fleet failed: (Throttling|InternalFailure|ServiceUnavailable): `)),
      },
    });
    expect(readStateFile(victim.releasesDir).failed).toMatchObject({ version: 'v2' });

    // After the outage: the victim back in service on v1; the other two on v2.
    await waitUntil(
      () => others.every((i) => reportsLive(readInstanceReport(f.store, i.id), 'v2')),
      OUTAGE_MS + SETTLES_AFTER_OUTAGE_MS,
      'the other instances to report v2 live',
    );
    await waitForTargetState(f.client, f.arn, victimId, 'healthy', 10_000);
    for (const instance of f.instances) expect(targetState(f, instance.id)).toBe('healthy');
    expect(await servedVersion(victim.port)).toBe('v1');
    for (const instance of others) expect(await servedVersion(instance.port)).toBe('v2');
    await waitUntil(async () => (await storeSlots(f)).length === 0, 10_000, 'every service-out slot to be given back');
    // Every agent survived it.
    expect(f.instances.map((i) => i.agent.child.pid)).toEqual(pids);
    expect(f.instances.every((i) => i.agent.child.exitCode === null)).toBe(true);

    // The API answered throttling and 5xx, and nothing else, for OUTAGE_MS.
    const during = f.emulator.requests.filter((r) => r.at >= beganAt && r.at < endsAt);
    expect([...new Set(during.map((r) => r.status))].sort()).toEqual([400, 500, 503]);
    // The victim was registered again only after the outage, and no other instance went out before that.
    const backAt = firstEvent(f.emulator.timeline, victimId, beganAt, 'healthy')?.at ?? Infinity;
    expect(firstEvent(f.emulator.timeline, victimId, beganAt, 'initial')?.at).toBeGreaterThanOrEqual(endsAt);
    for (const instance of others) expect(firstEvent(f.emulator.timeline, instance.id, from, 'draining')?.at).toBeGreaterThanOrEqual(backAt);
    expect(maxOutOfService(f.emulator.timeline, f.arn, f.ids, { from })).toBe(1);
    const report = await running.stop();
    expect(report.failures).toEqual([]);
    expect(report.failedRequests).toBe(0);
  }, 4 * 60_000);
});

/** The first move of `id` into `state` at or after `since`. */
function firstEvent(timeline: readonly TimelineEvent[], id: string, since: number, state: TimelineEvent['to']): TimelineEvent | undefined {
  return timeline.find((e) => e.targetId === id && e.at >= since && e.to === state);
}
