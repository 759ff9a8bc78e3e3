import { maxOutOfService } from '../support/elbv2/elbv2-emulator';
import { describeTarget, waitForTargetState } from '../support/elbv2/wait-for-target';
import { readInstanceReport, reportsLive } from '../support/agent-harness';
import { startLoad, type LoadHandle } from '../support/load/load-client';
import { startServiceOutFleet, type ServiceOutFleet } from '../support/service-out-fleet';
import { servedVersion } from '../support/spawned-agent';
import { waitUntil } from '../support/with-timeout';

const WS_CLIENTS = 6;

/**
 * Three deploy-agent processes behind the ELBv2 emulator's listener, HTTP and
 * WebSocket load through the listener, `deployctl push --strategy
 * service-out --wait`: one instance out of service at a time, no failed
 * request, WebSocket clients moved over, a release that fails on one instance
 * rolled back there.
 */
describe('service-out deploys behind a load balancer (3 agents)', () => {
  let fleet: ServiceOutFleet;
  let load: LoadHandle | undefined;

  beforeAll(async () => {
    fleet = await startServiceOutFleet({ instances: 3 });
  }, 120_000);

  afterEach(async () => {
    await load?.stop();
    load = undefined;
  });

  afterAll(async () => {
    await fleet?.stop();
  }, 60_000);

  const allLive = (version: string) => () => fleet.ids.every((id) => reportsLive(readInstanceReport(fleet.store, id), version));

  it('rolls the fleet one instance at a time with no failed request, surviving throttling and 5xx from the ELBv2 API', async () => {
    load = startLoad({ port: fleet.emulator.listenerPort, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: WS_CLIENTS, pauseMs: 5 });
    await load.waitFor((r) => (r.versions.v1 ?? 0) > 50 && r.wsVersionsAtEnd.v1 === WS_CLIENTS, 20_000, 'HTTP and WebSocket load on v1 through the listener');
    load.resetCounters();
    const from = Date.now();
    const before = fleet.emulator.requests.length;
    for (const action of ['DeregisterTargets', 'RegisterTargets', 'DescribeTargetHealth']) {
      fleet.emulator.injectFaults({ action, throttle: 2, serverError: 1, serverErrorStatus: 503 });
      fleet.emulator.injectFaults({ action, serverError: 2 });
    }

    const push = await fleet.push('v2', { strategy: 'service-out', wait: true });

    expect({ code: push.code, stderr: push.stderr.split('\n').slice(-3) }).toMatchObject({ code: 0 });
    expect(push.stdout).toMatch(/v2 is live on 3 instances/);
    await waitUntil(allLive('v2'), 20_000, 'every instance to report v2 live');
    await load.waitFor((r) => r.wsVersionsAtEnd.v2 === WS_CLIENTS, 20_000, 'every WebSocket client reconnected onto v2');
    const report = await load.stop();

    expect(report.failures).toEqual([]);
    expect(report.failedRequests).toBe(0);
    expect(report.versions.v2).toBeGreaterThan(0);
    expect(report.abnormalWsCloses).toBe(0);
    expect(report.wsCloseCodes['1012']).toBeGreaterThanOrEqual(WS_CLIENTS);
    // At most maxUnavailable (1) instance out of service at any moment, and each was out once.
    expect(maxOutOfService(fleet.emulator.timeline, fleet.arn, fleet.ids, { from })).toBe(1);
    const drained = fleet.emulator.timeline.filter((e) => e.at >= from && e.to === 'draining').map((e) => e.targetId);
    expect(drained.sort()).toEqual([...fleet.ids].sort());
    // Every injected fault was answered, and survived.
    const faults = fleet.emulator.requests.slice(before).filter((r) => r.status >= 400);
    expect(faults).toHaveLength(15);
    for (const instance of fleet.instances) expect(await servedVersion(instance.port)).toBe('v2');
  });

  it('rolls back the one instance a release fails on, puts it back in service, and the push names it', async () => {
    const victim = fleet.instances[1];
    if (!victim) throw new Error('no second instance');
    load = startLoad({ port: fleet.emulator.listenerPort, keepAliveConcurrency: 4, freshConcurrency: 2, pauseMs: 5 });
    await load.waitFor((r) => (r.versions.v2 ?? 0) > 50, 20_000, 'HTTP load on v2 through the listener');
    load.resetCounters();

    const push = await fleet.push('v3', { strategy: 'service-out', wait: true, fixture: { crashOnPort: victim.port } });

    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(new RegExp(`v3 failed on 1 instance: ${victim.id} \\(rolled-back: roll to v3 failed`));
    const others = fleet.instances.filter((i) => i !== victim);
    await waitUntil(() => others.every((i) => reportsLive(readInstanceReport(fleet.store, i.id), 'v3')), 60_000, 'the other instances to report v3 live');
    await waitForTargetState(fleet.client, fleet.arn, victim.id, 'healthy', 20_000);
    expect(readInstanceReport(fleet.store, victim.id)).toMatchObject({ running: 'v2', state: 'idle', lastDeploy: { version: 'v3', result: 'rolled-back' } });
    expect(await servedVersion(victim.port)).toBe('v2');
    for (const id of fleet.ids) expect((await describeTarget(fleet.client, fleet.arn, id))?.TargetHealth?.State).toBe('healthy');
    const report = await load.stop();
    expect(report.failures).toEqual([]);
  });
});
