import { PassThrough } from 'node:stream';
import { ServiceDrain } from '../../../../agent/cluster/service-drain';
import { createLogger } from '../../../../agent/log/logger';
import { createElbv2Client, ELBV2_MAX_ATTEMPTS } from '../../../../agent/traffic/elbv2-client';
import { Elbv2TargetRegistry } from '../../../../agent/traffic/elbv2-target-registry';
import { openConnectionsOf } from '../../../../agent/traffic/open-connections';
import { ServiceTraffic } from '../../../../agent/traffic/service-traffic';
import { ModifyTargetGroupAttributesCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2Client } from '../../../support/elbv2/elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator } from '../../../support/elbv2/elbv2-emulator';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { startLoad } from '../../../support/load/load-client';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { withTimeout } from '../../../support/with-timeout';

const quiet = createLogger(new PassThrough().resume(), 'silent');
const id = 'i-0aaaaaaaaaaaaaaa1';

/**
 * One instance (a real supervisor with the fixture app) and a neighbour (a
 * plain target) behind the emulator's listener, with a deregistration delay
 * far longer than the tests: a drain that ends before it ended early.
 */
describe('taking an instance out of the load balancer and back', () => {
  let emulator: Elbv2Emulator;
  let neighbour: HttpTarget;
  let app: SupervisedApp;
  let arn: string;
  let traffic: ServiceTraffic;
  let registry: Elbv2TargetRegistry;
  let testClient: ReturnType<typeof elbv2Client>;
  let settings: { earlyDrain: boolean; drainTimeoutMs: number | undefined };
  const cleanups: Array<() => void> = [];

  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  });

  beforeEach(async () => {
    emulator = await withTimeout(createElbv2Emulator({ registrationMs: 50 }), 5000, 'emulator start');
    neighbour = await startHttpTarget({ name: 'neighbour' });
    app = await startSupervisedApp({ workers: 2, idleGraceMs: 200, wsCloseWindowMs: 200 });
    arn = emulator.createTargetGroup({ name: 'web', port: 1, healthCheckPath: '/health', intervalMs: 200, timeoutMs: 150, deregistrationDelayS: 60 });
    testClient = elbv2Client(emulator.endpoint);
    const tc = testClient;
    cleanups.push(() => tc.destroy());
    await testClient.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-neighbour', Port: neighbour.port }, { Id: id, Port: app.port }] }));
    await waitForTargetState(testClient, arn, 'i-neighbour', 'healthy', 10_000);
    await waitForTargetState(testClient, arn, id, 'healthy', 10_000);
    const client = createElbv2Client({ targetGroupArns: [arn], endpoint: emulator.endpoint });
    cleanups.push(() => client.destroy());
    registry = new Elbv2TargetRegistry(client, [arn], { id, port: app.port });
    settings = { earlyDrain: true, drainTimeoutMs: undefined };
    traffic = new ServiceTraffic({
      registry,
      workers: new ServiceDrain(app.supervisor),
      openConnections: openConnectionsOf(new ServiceDrain(app.supervisor), app.port),
      config: () => ({
        targetGroupArns: [arn],
        port: app.port,
        maxUnavailable: 1,
        endpoint: emulator.endpoint,
        region: undefined,
        ...settings,
        drainQuietMs: 300,
        healthyTimeoutMs: 10_000,
        pollIntervalMs: 100,
        maxSurge: undefined,
        slotLeaseMs: 10_000,
        slotWaitTimeoutMs: 10_000,
      }),
      log: quiet,
    });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
    await neighbour.close();
    await app.close();
  });

  it('drains early under load through the listener: no connection left long before the delay ends, no failed request', async () => {
    const load = startLoad({ port: emulator.listenerPort, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 4, pauseMs: 5 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20 && r.wsVersionsAtEnd.v1 !== undefined, 10_000, 'load reaching the instance');
      const drained = await withTimeout(traffic.takeOut(), 30_000, 'the instance to drain');
      expect(drained.end).toBe('no-connections');
      expect(drained.lastOpen).toEqual({ open: 0, source: 'workers' });
      // The ALB still counts the delay: only the early drain could have ended it.
      expect((await registry.describe()).map((h) => h.state)).toEqual(['draining']);
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
      expect(report.wsCloseCodes['1012']).toBeGreaterThan(0);
    } finally {
      await load.stop();
    }
  });

  it('without early drain waits for the load balancer to report the target gone', async () => {
    settings.earlyDrain = false;
    await testClient.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] }),
    );
    const drained = await withTimeout(traffic.takeOut(), 30_000, 'the instance to drain');
    expect(drained.end).toBe('target-gone');
    expect((await registry.describe()).map((h) => h.state)).toEqual(['unused']);
  });

  it('goes on after loadBalancer.drainTimeoutMs when the load balancer still says draining', async () => {
    settings.earlyDrain = false;
    settings.drainTimeoutMs = 500;
    const drained = await withTimeout(traffic.takeOut(), 30_000, 'the drain timeout');
    expect(drained.end).toBe('timeout');
    expect((await registry.describe()).map((h) => h.state)).toEqual(['draining']);
  });

  it('puts a drained instance back: registered and healthy again', async () => {
    await traffic.takeOut();
    traffic.resumeWorkers();
    const healthyMs = await withTimeout(traffic.putBack(), 20_000, 'the instance to be healthy again');
    expect(healthyMs).toBeGreaterThanOrEqual(0);
    expect((await registry.describe()).map((h) => h.state)).toEqual(['healthy']);
  });

  it('counts the instance in service only once RegisterTargets succeeded since the last take-out', async () => {
    expect(traffic.inService).toBe(false); // as at the agent's start: nobody knows
    await traffic.register();
    expect(traffic.inService).toBe(true);
    await traffic.takeOut();
    expect(traffic.inService).toBe(false);
    traffic.resumeWorkers();
    emulator.injectFaults({ action: 'RegisterTargets', serverError: ELBV2_MAX_ATTEMPTS });

    await expect(traffic.putBack()).rejects.toMatchObject({ code: 'ELB_CALL_FAILED' });
    expect(traffic.inService).toBe(false);
    await withTimeout(traffic.putBack(), 20_000, 'the instance to be healthy again');
    expect(traffic.inService).toBe(true);
  });
});
