import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readInstanceReport, reportsLive } from '../support/agent-harness';
import { runCli } from '../support/cli-harness';
import { maxOutOfService } from '../support/elbv2/elbv2-emulator';
import { waitForTargetState } from '../support/elbv2/wait-for-target';
import { holdRequest, type HeldRequest } from '../support/held-request';
import { startLoad, type LoadHandle } from '../support/load/load-client';
import { isGone, portIsFree, type ProcessRef } from '../support/process-tree';
import { currentVersion, incompleteReleases, readStateFile, tempLeftovers } from '../support/release-invariants';
import { fleetSourceOf, instanceInStep, storeSlots, targetState } from '../support/service-out-faults';
import { startServiceOutFleet, type FleetInstance, type ServiceOutFleet } from '../support/service-out-fleet';
import { servedVersion } from '../support/spawned-agent';
import { waitUntil } from '../support/with-timeout';

/** After a restart the app must answer this soon (current is served before the store is read). */
const SERVES_WITHIN_MS = 5_000;
/** A step of the deploy reached (slot, fetch, deregister, health checks): generous for a loaded machine. */
const STEP_WITHIN_MS = 30_000;
/** The rest of a service-out rollout over 3 instances after a restart. */
const ROLLOUT_WITHIN_MS = 90_000;
/**
 * Far longer than any test here waits: a slot still held by the killed agent
 * is freed only by its restarted agent, never by the lease running out, and
 * a drain ends only when the test lets go of its connection.
 */
const LONG_MS = 120_000;
const TEST_TIMEOUT_MS = 180_000;

/** The fleet's settings for kill tests: the drain held by an open connection, and the agents' own health check on `/` (the target group checks `/health`). */
const fleetOptions = {
  targetGroup: { deregistrationDelayS: LONG_MS / 1000 },
  loadBalancer: { slotLeaseMs: LONG_MS },
  app: { healthCheck: { path: '/', timeoutMs: 5000 } },
} as const;

describe('deploy-agent SIGKILLed inside a service-out deploy (3 agents behind the ELBv2 emulator)', () => {
  let fleet: ServiceOutFleet;
  let load: LoadHandle | undefined;
  let held: HeldRequest[] = [];

  beforeAll(async () => {
    fleet = await startServiceOutFleet({ instances: 3, ...fleetOptions });
  }, 120_000);
  afterEach(async () => {
    held.forEach((h) => h.release());
    held = [];
    await load?.stop();
    load = undefined;
  });
  afterAll(async () => {
    await fleet?.stop();
  }, 60_000);

  /** HTTP load through the listener, counted from a moment the fleet serves `version`. */
  async function loadOn(version: string): Promise<{ load: LoadHandle; from: number }> {
    const started = startLoad({ port: fleet.emulator.listenerPort, keepAliveConcurrency: 3, freshConcurrency: 2, pauseMs: 5 });
    load = started;
    await started.waitFor((r) => (r.versions[version] ?? 0) > 50, 20_000, `HTTP load on ${version} through the listener`);
    started.resetCounters();
    return { load: started, from: Date.now() };
  }

  /** Right after the kill: nothing of the agent runs on, and its disk is consistent. */
  async function expectCleanDeath(victim: FleetInstance, children: readonly ProcessRef[], step: string, from: string, to: string): Promise<void> {
    const pids = children.map((c) => c.pid).join(', ');
    expect(children.length).toBeGreaterThanOrEqual(2); // its workers
    await waitUntil(() => children.every(isGone), 10_000, `the killed agent's workers (${pids}) to exit`);
    expect(await portIsFree(victim.port)).toBe(true);
    expect(await incompleteReleases(victim.releasesDir, fleetSourceOf(fleet))).toEqual([]);
    expect(currentVersion(victim.releasesDir)).toBe(from);
    expect(readStateFile(victim.releasesDir)).toMatchObject({ state: step, target: to, current: from });
  }

  /** After the restart: the whole fleet on `version`, the victim in service, nothing left behind. */
  async function expectRolloutDone(victim: FleetInstance, version: string, previous: string): Promise<void> {
    await waitUntil(() => fleet.ids.every((id) => reportsLive(readInstanceReport(fleet.store, id), version)), ROLLOUT_WITHIN_MS, `every instance to report ${version} live`);
    await waitForTargetState(fleet.client, fleet.arn, victim.id, 'healthy', STEP_WITHIN_MS);
    for (const instance of fleet.instances) {
      expect(await servedVersion(instance.port)).toBe(version);
      expect(targetState(fleet, instance.id)).toBe('healthy');
    }
    expect(tempLeftovers(victim.releasesDir)).toEqual([]);
    expect(await incompleteReleases(victim.releasesDir, fleetSourceOf(fleet))).toEqual([]);
    expect(currentVersion(victim.releasesDir)).toBe(version);
    expect(readStateFile(victim.releasesDir)).toMatchObject({ state: 'idle', current: version, previous, failed: null });
    await waitUntil(async () => (await storeSlots(fleet)).length === 0, 10_000, 'every service-out slot to be given back');
  }

  /** The restarted agent took its own slot over at once: the killed run's lease had most of LONG_MS left. */
  function expectOwnSlotTakenOver(victim: FleetInstance, leaseEnd: string): void {
    const taken = victim.agent.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('took service-out slot'));
    expect(taken).toMatchObject({ leftByEarlierRun: true });
    expect(Date.parse(String(taken?.time ?? ''))).toBeLessThan(Date.parse(leaseEnd));
  }

  it('draining: killed while deregistered and held by an open connection; the restart takes its own slot back, drains, rolls, registers', async () => {
    const { load: running, from } = await loadOn('v1');
    // Every instance: a connection that stays open, so that whichever drains first cannot finish early.
    held = await Promise.all(fleet.instances.map((i) => holdRequest(i.port)));

    await fleet.push('v2', { strategy: 'service-out' });
    let victim: FleetInstance | undefined;
    await waitUntil(() => (victim = instanceInStep(fleet, 'draining', 'v2')) !== undefined, STEP_WITHIN_MS, 'an instance to be draining for v2');
    if (!victim) throw new Error('unreachable');
    const { id } = victim;
    await waitUntil(() => targetState(fleet, id) === 'draining', STEP_WITHIN_MS, `target ${id} to be draining`);
    // The listener moved every client off it: the kill fails no request through the load balancer.
    await waitUntil(() => fleet.emulator.connectionsTo(fleet.arn, id, victim?.port ?? 0) === 0, STEP_WITHIN_MS, `the listener to have no connection to ${id}`);
    const [slot] = await storeSlots(fleet);
    expect(slot?.lease.holder).toBe(id);

    const children = await fleet.kill(id);
    await expectCleanDeath(victim, children, 'draining', 'v1', 'v2');
    expect(targetState(fleet, id)).toBe('draining');

    const restarted = fleet.restart(id);
    await waitUntil(async () => (await servedVersion(restarted.port)) === 'v1', SERVES_WITHIN_MS, 'the restarted agent to serve v1');
    await waitUntil(() => instanceInStep(fleet, 'rolling', 'v2')?.id === id, STEP_WITHIN_MS, `${id} to drain again and roll to v2`);
    expectOwnSlotTakenOver(restarted, slot?.lease.expiresAt ?? '');
    held.forEach((h) => h.release()); // the other instances may drain early now

    await expectRolloutDone(restarted, 'v2', 'v1');
    expect(restarted.agent.logs).toContainEqual(expect.objectContaining({ msg: 'the last run stopped during draining; starting over from current' }));
    const report = await running.stop();
    expect(report.failures).toEqual([]);
    expect(report.versions.v2).toBeGreaterThan(0);
    expect(maxOutOfService(fleet.emulator.timeline, fleet.arn, fleet.ids, { from })).toBe(1);
  }, TEST_TIMEOUT_MS);

  it('registering: killed while the load balancer finds the new release unhealthy; the restart deploys it again and ends registered and healthy', async () => {
    const { load: running, from } = await loadOn('v2');
    const gate = path.join(fleet.work, 'v3-healthy');
    await fleet.push('v3', { strategy: 'service-out', fixture: { healthGate: gate } });
    let victim: FleetInstance | undefined;
    await waitUntil(() => (victim = instanceInStep(fleet, 'registering', 'v3')) !== undefined, STEP_WITHIN_MS, 'an instance to be registering v3');
    if (!victim) throw new Error('unreachable');
    const { id } = victim;
    await waitUntil(() => targetState(fleet, id) === 'unhealthy', STEP_WITHIN_MS, `target ${id} to be registered and failing its health checks`);
    const [slot] = await storeSlots(fleet);
    expect(slot?.lease.holder).toBe(id);

    const children = await fleet.kill(id);
    await expectCleanDeath(victim, children, 'registering', 'v2', 'v3');

    const restarted = fleet.restart(id);
    await waitUntil(async () => (await servedVersion(restarted.port)) === 'v2', SERVES_WITHIN_MS, 'the restarted agent to serve v2');
    await waitUntil(() => instanceInStep(fleet, 'registering', 'v3')?.id === id, STEP_WITHIN_MS, `${id} to deploy v3 again up to registering`);
    expectOwnSlotTakenOver(restarted, slot?.lease.expiresAt ?? '');
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, '');

    await expectRolloutDone(restarted, 'v3', 'v2');
    expect(restarted.agent.logs).toContainEqual(expect.objectContaining({ msg: 'the last run stopped during registering; starting over from current' }));
    const report = await running.stop();
    expect(report.failures).toEqual([]);
    expect(report.versions.v3).toBeGreaterThan(0);
    expect(maxOutOfService(fleet.emulator.timeline, fleet.arn, fleet.ids, { from })).toBe(1);
  }, TEST_TIMEOUT_MS);
});

describe('deploy-agent SIGKILLed while deregistered, desired.json rolled back meanwhile', () => {
  let fleet: ServiceOutFleet | undefined;
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  }, 60_000);

  it('registers the instance again though current is already desired, and gives its slot back once healthy', async () => {
    const started = await startServiceOutFleet({ instances: 1, ...fleetOptions });
    fleet = started;
    const [instance] = started.instances;
    if (!instance) throw new Error('one instance expected');
    const hold = await holdRequest(instance.port);
    try {
      await started.push('v2', { strategy: 'service-out' });
      await waitUntil(() => instanceInStep(started, 'draining', 'v2') !== undefined, STEP_WITHIN_MS, 'the instance to be draining for v2');
      await waitUntil(() => targetState(started, instance.id) === 'draining', STEP_WITHIN_MS, 'its target to be draining');
      expect((await storeSlots(started)).map((s) => s.lease.holder)).toEqual([instance.id]);
      await started.kill(instance.id);
    } finally {
      hold.release();
    }
    const rollback = await runRollback(started, 'v1');
    expect(rollback).toMatchObject({ code: 0 });

    const restarted = started.restart(instance.id);
    await waitUntil(async () => (await servedVersion(restarted.port)) === 'v1', SERVES_WITHIN_MS, 'the restarted agent to serve v1');
    await waitForTargetState(started.client, started.arn, instance.id, 'healthy', STEP_WITHIN_MS);
    await waitUntil(async () => (await storeSlots(started)).length === 0, STEP_WITHIN_MS, 'the slot of the killed run to be given back');
    expect(readStateFile(instance.releasesDir)).toMatchObject({ state: 'idle', current: 'v1' });
    expect(restarted.agent.logs.some((l) => l.msg === 'deploying v2')).toBe(false);
    // Given back by the restarted agent once healthy: its lease had most of LONG_MS left.
    // (The log line follows the delete over the agent's stdout pipe: wait for it rather than race it.)
    const gaveBack = /^gave back service-out slot locks\/slot-0\.json: this instance is in service again/;
    await waitUntil(() => restarted.agent.logs.some((l) => typeof l.msg === 'string' && gaveBack.test(l.msg)), STEP_WITHIN_MS, 'the restarted agent to log that it gave its slot back');
    expect(await servedVersion(restarted.port)).toBe('v1');
  }, TEST_TIMEOUT_MS);
});

/** `deployctl rollback <version>` on the fleet's store. */
async function runRollback(fleet: ServiceOutFleet, version: string): Promise<{ code: number; stderr: string }> {
  const run = await runCli(['rollback', version, '--store', fleet.store], { cwd: fleet.work });
  return { code: run.code, stderr: run.stderr };
}
