import type { ActionContext } from './api-actions';
import { startApiServer, type ApiRequest } from './api-server';
import type { ApiOutage, OutageSpec } from './api-outage';
import { FaultInjector, type FaultSpec } from './fault-injector';
import { ListenerProxy } from './listener-proxy';
import type { TargetGroup } from './target-group';
import type { TargetGroupOptions } from './target-group-config';
import { loadBalancerArn, TargetGroupRegistry } from './target-group-registry';
import type { TimelineEvent } from './timeline';

export type { ApiRequest } from './api-server';
export type { FaultSpec } from './fault-injector';
export type { ApiOutage, OutageSpec } from './api-outage';
export type { TargetGroupOptions } from './target-group-config';
export type { TargetReason, TargetState } from './target-state';
export { maxOutOfService, type OutOfServiceWindow, type TimelineEvent } from './timeline';

export interface Elbv2EmulatorOptions {
  /** How long a new registration stays `initial`/`Elb.RegistrationInProgress` before its first health check. @default 100 */
  readonly registrationMs?: number;
}

/**
 * An ELBv2 (Application Load Balancer) emulator for tests: an AWS Query API on 127.0.0.1 that the
 * unmodified `@aws-sdk/client-elastic-load-balancing-v2` talks to through `endpoint`, real HTTP
 * health checks of the registered targets (all on 127.0.0.1), and one HTTP listener that proxies
 * requests and WebSocket upgrades to the target group it forwards to.
 *
 * Where it differs from ELBv2: only the six target actions exist (target groups come from
 * `createTargetGroup`); signatures are not checked; every target group is health checked, even
 * one no load balancer uses (ELBv2 reports those `unused`/`Target.NotInUse`); registration takes
 * `registrationMs`, not tens of seconds; health check intervals and timeouts are in milliseconds
 * (Describe rounds them up to seconds); DeregisterTargets accepts any target; a named target
 * without Port in DescribeTargetHealth matches every registration of its Id; the listener pins
 * each client connection to one target (an ALB balances each request) and, when a target's
 * deregistration delay ends, closes the client connections pinned to it (an ALB closes only its
 * own connections to the target).
 */
export interface Elbv2Emulator {
  /** http://127.0.0.1:PORT — give it to the SDK client as `endpoint`. */
  readonly endpoint: string;
  /** The listener's port on 127.0.0.1. */
  readonly listenerPort: number;
  /** The load balancer's ARN (in the forwarded group's `LoadBalancerArns`). */
  readonly loadBalancerArn: string;
  /** Creates a target group (there is no CreateTargetGroup action); returns its ARN. */
  createTargetGroup(options: TargetGroupOptions): string;
  /** Makes the listener forward to this group. @default the first group created */
  forwardTo(targetGroupArn: string): void;
  /** Every change of a target's state or reason, oldest first (a live array). */
  readonly timeline: readonly TimelineEvent[];
  /** Fails the next matching API requests; see FaultSpec. Calls queue up. */
  injectFaults(spec: FaultSpec): void;
  /** Fails every API request, throttling and 5xx in turn, for `forMs` from the first (see OutageSpec). */
  startOutage(spec: OutageSpec): ApiOutage;
  /** Every API request answered, oldest first (a live array). */
  readonly requests: readonly ApiRequest[];
  /** Open listener connections (pinned client connections and WebSocket tunnels) to one target. */
  connectionsTo(targetGroupArn: string, targetId: string, port: number): number;
  /** Stops the API, the listener, every health check and timer, and cuts every connection. Idempotent. */
  stop(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1 with two free ports (API and listener). */
export async function createElbv2Emulator(options: Elbv2EmulatorOptions = {}): Promise<Elbv2Emulator> {
  const timeline: TimelineEvent[] = [];
  const requests: ApiRequest[] = [];
  const probes = new Set<() => void>();
  const faults = new FaultInjector();
  let forwarded: TargetGroup | undefined;
  const listener = new ListenerProxy(() => forwarded);
  const registry = new TargetGroupRegistry({
    registrationMs: options.registrationMs ?? 100,
    record: (event) => timeline.push(event),
    targetGone: (target) => listener.cut(target),
    trackProbe: (abort) => {
      probes.add(abort);
      return () => probes.delete(abort);
    },
  });
  const lbArn = loadBalancerArn('emulator');
  const context: ActionContext = { registry, loadBalancerArn: lbArn, forwardedGroup: () => forwarded };
  const api = await startApiServer({ context, faults, requests });
  const listenerPort = await listener.start().catch(async (err: unknown) => {
    await api.close();
    throw err;
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: api.endpoint,
    listenerPort,
    loadBalancerArn: lbArn,
    timeline,
    requests,
    createTargetGroup(groupOptions) {
      const group = registry.create(groupOptions);
      forwarded ??= group;
      return group.arn;
    },
    forwardTo(targetGroupArn) {
      forwarded = registry.get(targetGroupArn);
    },
    injectFaults(spec) {
      faults.inject(spec);
    },
    startOutage(spec) {
      return faults.startOutage(spec);
    },
    connectionsTo(targetGroupArn, targetId, port) {
      const group = registry.get(targetGroupArn);
      const target = group.registered().find((t) => t.id === targetId && t.port === port);
      return target ? listener.connectionsTo(target) : 0;
    },
    stop() {
      stopped ??= (async () => {
        registry.stop();
        for (const abort of [...probes]) abort();
        await Promise.all([listener.close(), api.close()]);
      })();
      return stopped;
    },
  };
}
