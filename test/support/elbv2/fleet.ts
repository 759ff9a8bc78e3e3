import { RegisterTargetsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { withTimeout } from '../with-timeout';
import { elbv2Client } from './elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator } from './elbv2-emulator';
import { startHttpTarget, type HttpTarget } from './http-target';
import { waitForTargetState } from './wait-for-target';

/** An emulator, an SDK client, one target group and real HTTP targets (`i-<name>`), for listener tests. */
export interface Fleet {
  readonly emulator: Elbv2Emulator;
  readonly client: ElasticLoadBalancingV2Client;
  readonly arn: string;
  readonly targets: readonly HttpTarget[];
  /** Registers targets by name and waits until each is healthy. */
  registerHealthy(...names: string[]): Promise<void>;
  target(name: string): HttpTarget;
  /** Stops the client, the emulator and every target. */
  stop(): Promise<void>;
}

export interface FleetOptions {
  readonly names: readonly string[];
  /** @default 1 */
  readonly deregistrationDelayS?: number;
  /** Health check status each target starts with. @default 200 */
  readonly healthStatus?: number;
}

/** Starts a fleet; every target group uses a 500 ms interval, 300 ms timeout and thresholds 2. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const emulator = await withTimeout(createElbv2Emulator(), 5000, 'emulator start');
  const client = elbv2Client(emulator.endpoint);
  const targets: HttpTarget[] = [];
  const stop = async (): Promise<void> => {
    client.destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
    await withTimeout(Promise.all(targets.map((t) => t.close())), 5000, 'targets close');
  };
  try {
    for (const name of options.names) {
      const healthStatus = options.healthStatus ?? 200;
      targets.push(await withTimeout(startHttpTarget({ name, healthStatus }), 5000, `target ${name} start`));
    }
  } catch (err: unknown) {
    await stop();
    throw err;
  }
  const arn = emulator.createTargetGroup({
    name: 'fleet',
    port: 1,
    healthCheckPath: '/health',
    intervalMs: 500,
    timeoutMs: 300,
    deregistrationDelayS: options.deregistrationDelayS ?? 1,
  });
  const target = (name: string): HttpTarget => {
    const found = targets.find((t) => t.name === name);
    if (!found) throw new Error(`no target named ${name}`);
    return found;
  };
  return {
    emulator,
    client,
    arn,
    targets,
    target,
    stop,
    async registerHealthy(...names) {
      const refs = names.map((name) => ({ Id: `i-${name}`, Port: target(name).port }));
      await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: refs }));
      for (const name of names) await waitForTargetState(client, arn, `i-${name}`, 'healthy', 5000);
    },
  };
}
