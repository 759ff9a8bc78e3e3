import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalSlots } from '../../../../agent/store/local-slots';
import { ELBV2_MAX_ATTEMPTS } from '../../../../agent/traffic/elbv2-client';
import { readInstanceReport } from '../../../support/agent-harness';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { startLoad } from '../../../support/load/load-client';
import { startServiceOutFleet, type ServiceOutFleet } from '../../../support/service-out-fleet';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

describe('a service-out deploy that cannot put the instance back in service', () => {
  let fleet: ServiceOutFleet | undefined;
  let neighbour: HttpTarget | undefined;
  afterEach(async () => {
    await neighbour?.close();
    await fleet?.stop();
    fleet = undefined;
  });

  it('rolls back to the previous release, registers it again and reports TARGET_NOT_HEALTHY', async () => {
    // No app.healthCheck: only the target group's health check can find the release broken.
    fleet = await startServiceOutFleet({ instances: 1, app: { healthCheck: undefined }, loadBalancer: { healthyTimeoutMs: 3000 } });
    const instance = fleet.instances[0];
    if (!instance) throw new Error('one instance expected');
    neighbour = await startHttpTarget({ name: 'neighbour' });
    await fleet.client.send(new RegisterTargetsCommand({ TargetGroupArn: fleet.arn, Targets: [{ Id: 'i-neighbour', Port: neighbour.port }] }));
    await waitForTargetState(fleet.client, fleet.arn, 'i-neighbour', 'healthy', 10_000);
    const load = startLoad({ port: fleet.emulator.listenerPort, keepAliveConcurrency: 2, freshConcurrency: 1, pauseMs: 5 });
    try {
      const push = await fleet.push('v2', { strategy: 'service-out', wait: true, fixture: { mode: 'unhealthy' } });

      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(new RegExp(`${instance.id} \\(rolled-back: ${instance.id}:\\d+ was not healthy in every target group within 3000 ms \\(fleet: unhealthy \\(Target.ResponseCodeMismatch`));
      await waitForTargetState(fleet.client, fleet.arn, instance.id, 'healthy', 20_000);
      await waitUntil(() => readInstanceReport(fleet?.store ?? '', instance.id)?.state === 'idle', 10_000, 'the agent to be idle again');
      expect(readInstanceReport(fleet.store, instance.id)).toMatchObject({ running: 'v1', lastDeploy: { version: 'v2', result: 'rolled-back' } });
      expect(await servedVersion(instance.port)).toBe('v1');
      const report = await load.stop();
      expect(report.failures).toEqual([]);
    } finally {
      await load.stop();
    }
  });

  it('keeps its slot while RegisterTargets keeps failing after a rollback, and registers the instance at a later poll, then gives the slot back', async () => {
    fleet = await startServiceOutFleet({ instances: 1, loadBalancer: { slotLeaseMs: 120_000 } });
    const instance = fleet.instances[0];
    if (!instance) throw new Error('one instance expected');
    // The deploy's RegisterTargets and the rollback's: every try of both fails (the next one, at a later poll, goes through).
    fleet.emulator.injectFaults({ action: 'RegisterTargets', serverError: 2 * ELBV2_MAX_ATTEMPTS, serverErrorStatus: 503 });

    const push = await fleet.push('v2', { strategy: 'service-out', wait: true });

    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(new RegExp(`${instance.id} \\(rolled-back: RegisterTargets of ${instance.id}:${instance.port} in target group fleet failed: ServiceUnavailable`));
    await waitForTargetState(fleet.client, fleet.arn, instance.id, 'healthy', 20_000);
    const store = fleet.store;
    await waitUntil(async () => (await new LocalSlots(store, store).listSlots()).length === 0, 10_000, 'the slot to be given back');
    const said = instance.agent.logs.map((l) => String(l.msg));
    const kept = said.findIndex((m) => m.startsWith('keeping service-out slot locks/slot-0.json'));
    const registered = said.findIndex((m) => m.startsWith(`registered ${instance.id}:${instance.port}; waiting until healthy`));
    const givenBack = said.findIndex((m) => m === 'gave back service-out slot locks/slot-0.json: this instance is in service again');
    expect(kept).toBeGreaterThan(-1);
    expect(registered).toBeGreaterThan(kept);
    expect(givenBack).toBeGreaterThan(registered);
    await waitUntil(() => readInstanceReport(store, instance.id)?.state === 'idle', 10_000, 'the report to come to rest');
    expect(readInstanceReport(store, instance.id)).toMatchObject({ running: 'v1', state: 'idle', lastDeploy: { version: 'v2', result: 'rolled-back', errorCode: 'ELB_CALL_FAILED' } });
    expect(await servedVersion(instance.port)).toBe('v1');
  });
});
