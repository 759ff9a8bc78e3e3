import { describeTarget } from '../../../support/elbv2/wait-for-target';
import { startLoad } from '../../../support/load/load-client';
import { startServiceOutFleet, type ServiceOutFleet } from '../../../support/service-out-fleet';
import { withTimeout } from '../../../support/with-timeout';

describe('SIGTERM to an agent behind a load balancer', () => {
  let fleet: ServiceOutFleet | undefined;
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  });

  it('deregisters and drains before it stops the workers: no failed request through the listener', async () => {
    fleet = await startServiceOutFleet({ instances: 2, targetGroup: { deregistrationDelayS: 60 } });
    const [leaving, staying] = fleet.instances;
    if (!leaving || !staying) throw new Error('two instances expected');
    const load = startLoad({ port: fleet.emulator.listenerPort, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 4, pauseMs: 5 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 50 && r.wsVersionsAtEnd.v1 === 4, 20_000, 'load on v1 through the listener');
      load.resetCounters();

      leaving.agent.kill('SIGTERM');
      const exit = await withTimeout(leaving.agent.exited, 30_000, 'the agent to stop');

      expect(exit).toEqual({ code: 0, signal: null });
      // Out of the target group before the end (the 60 s delay is still running: the drain ended early).
      expect((await describeTarget(fleet.client, fleet.arn, leaving.id))?.TargetHealth?.State).toBe('draining');
      expect((await describeTarget(fleet.client, fleet.arn, staying.id))?.TargetHealth?.State).toBe('healthy');
      const messages = leaving.agent.logs.map((l) => String(l.msg));
      const drained = messages.findIndex((m) => m.startsWith('drained early'));
      expect(drained).toBeGreaterThanOrEqual(0);
      expect(drained).toBeLessThan(messages.indexOf('deploy-agent stopped'));
      await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 4, 10_000, 'the WebSocket clients reconnected to the other instance');
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
    } finally {
      await load.stop();
    }
  });
});
