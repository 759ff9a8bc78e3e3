import type { RuntimeConfig } from '../config/runtime-config';
import type { Logger } from '../log/logger';
import { createElbv2Client } from './elbv2-client';
import { Elbv2TargetRegistry } from './elbv2-target-registry';
import { openConnectionsOf, type ConnectionSource } from './open-connections';
import { ServiceTraffic, type DrainableWorkers } from './service-traffic';

type LoadBalancerConfig = NonNullable<RuntimeConfig['loadBalancer']>;

/**
 * This instance behind the ALB of the config: an ELBv2 client (retries and
 * timeouts of elbv2-client.ts), the target `instanceId:loadBalancer.port` in
 * every target group, and the workers that can tell how many connections are
 * open (else the kernel's count on that port).
 */
export function openServiceTraffic(options: {
  readonly loadBalancer: LoadBalancerConfig;
  /** The live load balancer config (SIGHUP reloads the timings; the target groups stay those of the start). */
  readonly config: () => LoadBalancerConfig | undefined;
  readonly instanceId: string;
  readonly workers: DrainableWorkers & ConnectionSource;
  readonly log: Logger;
}): ServiceTraffic {
  const { loadBalancer, instanceId, workers } = options;
  const client = createElbv2Client(loadBalancer);
  const registry = new Elbv2TargetRegistry(client, loadBalancer.targetGroupArns, { id: instanceId, port: loadBalancer.port });
  return new ServiceTraffic({
    registry,
    workers,
    openConnections: openConnectionsOf(workers, loadBalancer.port),
    config: () => options.config() ?? loadBalancer,
    log: options.log.child({ target: `${instanceId}:${loadBalancer.port}` }),
  });
}
