import { agentDefaults } from '../config/defaults';
import type { RuntimeConfig } from '../config/runtime-config';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import { waitUntilDrained, type DrainResult } from './drain-watch';
import { waitUntilHealthy } from './healthy-wait';
import type { OpenConnections } from './open-connections';
import type { TargetRegistry } from './target-registry';

type LoadBalancerConfig = NonNullable<RuntimeConfig['loadBalancer']>;

/** What it needs of the workers (the supervisor). */
export interface DrainableWorkers {
  enterServiceDrain(): void;
  leaveServiceDrain(): void;
}

export interface ServiceTrafficDeps {
  readonly registry: TargetRegistry;
  readonly workers: DrainableWorkers;
  /** How to count open connections on this instance (early drain). */
  readonly openConnections: OpenConnections;
  readonly config: () => LoadBalancerConfig;
  readonly log: Logger;
}

/**
 * This instance in and out of the load balancer: take it out (deregister in
 * every target group, tell the workers to let connections go, wait until
 * drained) and put it back (register, wait until healthy everywhere). The
 * service-out deploy and the graceful stop are made of these two.
 */
export class ServiceTraffic {
  /** RegisterTargets succeeded, and no DeregisterTargets was sent since. */
  private registered = false;

  constructor(private readonly deps: ServiceTrafficDeps) {}

  /**
   * True once RegisterTargets succeeded, until the next take-out starts: false
   * at start, and after a deploy that could not put the instance back (the
   * agent registers it again at its next poll).
   */
  get inService(): boolean {
    return this.registered;
  }

  get target(): { readonly id: string; readonly port: number } {
    return this.deps.registry.target;
  }

  /**
   * DeregisterTargets everywhere, then wait until drained: early (no connection
   * left open) when loadBalancer.earlyDrain, else when the ALB reports the
   * target gone; at most loadBalancer.drainTimeoutMs (or `capMs` when less).
   */
  async takeOut(options: { readonly signal?: AbortSignal; readonly capMs?: number } = {}): Promise<DrainResult> {
    const { registry, workers, log } = this.deps;
    const config = this.deps.config();
    this.registered = false; // even a DeregisterTargets that fails may have been applied
    await registry.deregister();
    workers.enterServiceDrain();
    const timeoutMs = Math.min(await this.drainTimeoutMs(config), options.capMs ?? Number.POSITIVE_INFINITY);
    log.info({ targetGroups: registry.targetGroupArns.length, timeoutMs, earlyDrain: config.earlyDrain }, `deregistered ${registry.target.id}:${registry.target.port}; draining`);
    const result = await waitUntilDrained({
      registry,
      openConnections: config.earlyDrain ? this.deps.openConnections : undefined,
      quietMs: config.drainQuietMs,
      pollIntervalMs: config.pollIntervalMs,
      timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      log,
    });
    const open = result.lastOpen ? `, ${result.lastOpen.open} connection(s) open (${result.lastOpen.source})` : '';
    const message =
      result.end === 'no-connections'
        ? `drained early in ${result.drainMs} ms: no connection left open (counted by the ${result.lastOpen?.source ?? 'workers'})`
        : result.end === 'target-gone'
          ? `drained in ${result.drainMs} ms: the load balancer reports the target gone${open}`
          : `still draining after ${result.drainMs} ms (the drain timeout)${open}; going on`;
    (result.end === 'timeout' ? log.warn.bind(log) : log.info.bind(log))({ drain: result.end, drainMs: result.drainMs }, message);
    return result;
  }

  /** The workers still there serve normally again (a deploy failed before they were replaced). */
  resumeWorkers(): void {
    this.deps.workers.leaveServiceDrain();
  }

  /** RegisterTargets everywhere, without waiting for the health checks (the agent's start). */
  async register(): Promise<void> {
    const { registry, log } = this.deps;
    await registry.register();
    this.registered = true;
    log.info({}, `registered ${registry.target.id}:${registry.target.port} in ${registry.targetGroupArns.length} target group(s)`);
  }

  /** RegisterTargets everywhere and wait until healthy in every target group (loadBalancer.healthyTimeoutMs). */
  async putBack(options: { readonly signal?: AbortSignal } = {}): Promise<number> {
    const { registry, log } = this.deps;
    const config = this.deps.config();
    await registry.register();
    this.registered = true;
    log.info({ timeoutMs: config.healthyTimeoutMs }, `registered ${registry.target.id}:${registry.target.port}; waiting until healthy`);
    const healthyMs = await waitUntilHealthy({
      registry,
      timeoutMs: config.healthyTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      ...(options.signal ? { signal: options.signal } : {}),
      log,
    });
    log.info({ healthyMs }, `healthy in every target group after ${healthyMs} ms`);
    return healthyMs;
  }

  /**
   * loadBalancer.drainTimeoutMs, else the longest deregistration delay of the
   * target groups (plus two polls, to see the ALB report the target gone), else 300 s.
   */
  private async drainTimeoutMs(config: LoadBalancerConfig): Promise<number> {
    if (config.drainTimeoutMs !== undefined) return config.drainTimeoutMs;
    try {
      const delayMs = await this.deps.registry.deregistrationDelayMs();
      if (delayMs !== undefined) return delayMs + 2 * config.pollIntervalMs;
    } catch (error) {
      this.deps.log.warn({ err: describeError(error) }, `cannot read the deregistration delay; draining for at most ${agentDefaults.loadBalancer.drainTimeoutMs} ms`);
    }
    return agentDefaults.loadBalancer.drainTimeoutMs;
  }
}
