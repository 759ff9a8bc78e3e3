import { PassThrough } from 'node:stream';
import { createLogger } from '../../../../agent/log/logger';
import { createElbv2Client } from '../../../../agent/traffic/elbv2-client';
import { Elbv2TargetRegistry } from '../../../../agent/traffic/elbv2-target-registry';
import { waitUntilHealthy } from '../../../../agent/traffic/healthy-wait';
import { createElbv2Emulator, type Elbv2Emulator } from '../../../support/elbv2/elbv2-emulator';
import { startHttpTarget, type HttpTarget } from '../../../support/elbv2/http-target';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

const quiet = createLogger(new PassThrough().resume(), 'silent');

const group = { port: 1, healthCheckPath: '/health', intervalMs: 200, timeoutMs: 150 };

describe('the ELBv2 target registry against the emulator', () => {
  let emulator: Elbv2Emulator;
  let app: HttpTarget;
  let arns: string[];
  let registry: Elbv2TargetRegistry;
  let destroy: () => void;

  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  });

  beforeEach(async () => {
    emulator = await withTimeout(createElbv2Emulator({ registrationMs: 50 }), 5000, 'emulator start');
    app = await withTimeout(startHttpTarget({ name: 'app' }), 5000, 'app start');
    arns = [
      emulator.createTargetGroup({ name: 'web', ...group, deregistrationDelayS: 1 }),
      emulator.createTargetGroup({ name: 'api', ...group, deregistrationDelayS: 2 }),
    ];
    const client = createElbv2Client({ targetGroupArns: arns, endpoint: emulator.endpoint });
    destroy = () => client.destroy();
    registry = new Elbv2TargetRegistry(client, arns, { id: 'i-0123456789abcdef0', port: app.port });
  });

  afterEach(async () => {
    destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
    await app.close();
  });

  it('reports an unknown target as unused in every group', async () => {
    const health = await registry.describe();
    expect(health.map((h) => [h.targetGroupArn, h.state, h.reason])).toEqual(arns.map((arn) => [arn, 'unused', 'Target.NotRegistered']));
  });

  it('registers in every target group, and the health checks make it healthy in all of them', async () => {
    await registry.register();
    await withTimeout(waitUntilHealthy({ registry, timeoutMs: 10_000, pollIntervalMs: 50, log: quiet }), 15_000, 'healthy');
    const registered = emulator.requests.filter((r) => r.action === 'RegisterTargets');
    const calls = registered.map((r) => `${r.params['TargetGroupArn']} ${r.params['Targets.member.1.Id']}:${r.params['Targets.member.1.Port']}`);
    expect(calls.sort()).toEqual(arns.map((arn) => `${arn} i-0123456789abcdef0:${app.port}`).sort());
  });

  it('deregisters from every group: draining, then gone once each delay is over', async () => {
    await registry.register();
    await waitUntilHealthy({ registry, timeoutMs: 10_000, pollIntervalMs: 50, log: quiet });
    await registry.deregister();
    expect((await registry.describe()).map((h) => h.state)).toEqual(['draining', 'draining']);
    await waitUntil(async () => (await registry.describe()).every((h) => h.state === 'unused'), 10_000, 'the target to be gone from both groups', 100);
  });

  it('reads the longest deregistration delay of its target groups', async () => {
    await expect(registry.deregistrationDelayMs()).resolves.toBe(2000);
  });

  it('survives throttling and server errors on every call through the SDK retries', async () => {
    emulator.injectFaults({ action: 'RegisterTargets', throttle: 2, serverError: 1 });
    emulator.injectFaults({ action: 'DescribeTargetHealth', serverError: 2, serverErrorStatus: 503 });
    emulator.injectFaults({ action: 'DeregisterTargets', throttle: 1, serverError: 2 });
    // Groups that drain for longer than the retries can take (their backoff, under a loaded
    // machine, outlasted the 1 s delay of 'web'): draining is then what deregister leaves.
    const slowArns = [
      emulator.createTargetGroup({ name: 'web-slow', ...group, deregistrationDelayS: 60 }),
      emulator.createTargetGroup({ name: 'api-slow', ...group, deregistrationDelayS: 60 }),
    ];
    const client = createElbv2Client({ targetGroupArns: slowArns, endpoint: emulator.endpoint });
    const destroyShared = destroy;
    destroy = () => {
      client.destroy();
      destroyShared();
    };
    const slowRegistry = new Elbv2TargetRegistry(client, slowArns, { id: 'i-0123456789abcdef0', port: app.port });
    await slowRegistry.register();
    await waitUntilHealthy({ registry: slowRegistry, timeoutMs: 10_000, pollIntervalMs: 50, log: quiet });
    await slowRegistry.deregister();
    expect((await slowRegistry.describe()).map((h) => h.state)).toEqual(['draining', 'draining']);
    const failed = emulator.requests.filter((r) => r.status >= 400).map((r) => `${r.action} ${r.status}`);
    expect(failed.sort()).toEqual(
      ['RegisterTargets 400', 'RegisterTargets 400', 'RegisterTargets 500', 'DescribeTargetHealth 503', 'DescribeTargetHealth 503', 'DeregisterTargets 400', 'DeregisterTargets 500', 'DeregisterTargets 500'].sort(),
    );
  });

  it('names the call, the target group and what to check when a target group does not exist', async () => {
    const wrong = arns[0]?.replace(/[0-9a-f]{16}$/, '0000000000000000') ?? '';
    const client = createElbv2Client({ targetGroupArns: [wrong], endpoint: emulator.endpoint });
    try {
      const missing = new Elbv2TargetRegistry(client, [wrong], { id: 'i-0123456789abcdef0', port: app.port });
      await expect(missing.register()).rejects.toMatchObject({
        code: 'ELB_CALL_FAILED',
        message: expect.stringMatching(/RegisterTargets of i-0123456789abcdef0:\d+ in target group web failed: TargetGroupNotFound.*loadBalancer\.targetGroupArns/),
      });
    } finally {
      client.destroy();
    }
  });

  it('says which groups are not healthy, and why, when the health checks keep failing', async () => {
    app.healthStatus = 503;
    await registry.register();
    await expect(waitUntilHealthy({ registry, timeoutMs: 1500, pollIntervalMs: 100, log: quiet })).rejects.toMatchObject({
      code: 'TARGET_NOT_HEALTHY',
      message: expect.stringMatching(/web: unhealthy \(Target\.ResponseCodeMismatch: .*503.*api: unhealthy/),
    });
  });
});
