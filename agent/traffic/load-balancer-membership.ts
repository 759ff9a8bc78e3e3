import { ServiceDrain } from '../cluster/service-drain';
import type { Supervisor } from '../cluster/supervisor';
import type { RuntimeConfig } from '../config/runtime-config';
import { storeSlotGate, type SlotGate } from '../deploy/service-out-slot';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { SlotStore } from '../store/slot-store';
import type { ServiceTraffic } from './service-traffic';

type LoadBalancerConfig = NonNullable<RuntimeConfig['loadBalancer']>;

export interface LoadBalancerMembershipDeps {
  readonly loadBalancer: LoadBalancerConfig;
  /** The live load balancer config (SIGHUP reloads timings). */
  readonly config: () => LoadBalancerConfig | undefined;
  readonly instanceId: string;
  readonly supervisor: Supervisor;
  readonly slots: SlotStore;
  readonly log: Logger;
}

/**
 * This instance as a member of its target groups, for the agent's lifecycle:
 * what service-out deploys use (traffic + slots), registering once the workers
 * serve (a graceful stop deregistered it), and leaving on a graceful stop.
 * The ELBv2 SDK is loaded only when a load balancer is configured.
 */
export class LoadBalancerMembership {
  readonly traffic: ServiceTraffic;
  readonly slots: SlotGate;
  /** Why the last registration failed (logged once per change). */
  private problem: string | undefined;

  constructor(private readonly deps: LoadBalancerMembershipDeps) {
    const { openServiceTraffic } = require('./open-service-traffic') as typeof import('./open-service-traffic');
    const { loadBalancer, instanceId, log } = deps;
    const config = () => deps.config() ?? loadBalancer;
    this.traffic = openServiceTraffic({ loadBalancer, config: deps.config, instanceId, workers: new ServiceDrain(deps.supervisor), log });
    this.slots = storeSlotGate({ slots: deps.slots, holder: instanceId, config, log });
  }

  /**
   * Between deploys, once the workers serve: registers the instance in its
   * target groups unless it is known to be in service (false after the start,
   * and after a deploy that could not put it back). While this instance holds
   * a service-out slot (a deploy kept it, or a killed run left it), it is out
   * of service on that slot's account: it is put back (and healthy) first,
   * then the slot is given back. A failed registration is logged (once per
   * change of error) and tried again at the next call.
   */
  async registerOnce(signal?: AbortSignal): Promise<void> {
    if (this.traffic.inService || !this.deps.supervisor.running) return;
    const { log } = this.deps;
    const held = await this.slots.held().catch((error: unknown) => {
      log.warn({ err: describeError(error) }, 'cannot read the service-out slots; any this instance held in an earlier run frees itself when its lease ends');
      return [];
    });
    try {
      if (held.length === 0) await this.traffic.register();
      else await this.traffic.putBack(signal ? { signal } : {});
      this.problem = undefined;
    } catch (error) {
      const problem = describeError(error);
      // Registered but not healthy in time: the load balancer keeps checking it; nothing to try again.
      if (this.traffic.inService) log.error({ err: problem }, 'registered this instance, but it is not healthy; giving its service-out slot back');
      else if (problem !== this.problem) log.error({ err: problem }, 'cannot register this instance in its target groups; trying again at every poll');
      this.problem = problem;
      if (!this.traffic.inService) return;
    }
    await this.slots.giveBack(held);
  }

  /** Graceful stop: deregister and drain (early) first, within `capMs`; never throws. */
  async leave(capMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // The drain wait ends by itself at capMs; this also bounds an ELBv2 call that hangs.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`DeregisterTargets did not return within ${capMs} ms`)), capMs);
    });
    try {
      await Promise.race([this.traffic.takeOut({ capMs }), late]);
    } catch (error) {
      this.deps.log.warn({ err: describeError(error) }, 'could not deregister and drain before stopping; stopping the workers anyway');
    } finally {
      clearTimeout(timer);
    }
  }
}
