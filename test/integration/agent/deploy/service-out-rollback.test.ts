import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readInstanceReport } from '../../../support/agent-harness';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { startLoad } from '../../../support/load/load-client';
import { startServiceOutFleet, type ServiceOutFleet } from '../../../support/service-out-fleet';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

describe('a service-out deploy the load balancer never sees healthy', () => {
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
});
