/**
 * The load balancer as a side effect: this instance's target (instance id +
 * port) in every configured target group. The service-out flow and the
 * graceful stop only see this interface, so the same code runs against AWS
 * and the ELBv2 emulator of the tests (elbv2-target-registry.ts talks to both).
 */

/** ELBv2's target health states (DescribeTargetHealth `TargetHealth.State`). */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

/** What one target group says of this instance's target. */
export interface TargetHealth {
  readonly targetGroupArn: string;
  readonly state: TargetState;
  /** ELBv2's reason code, e.g. Target.ResponseCodeMismatch (none when healthy). */
  readonly reason: string | undefined;
  readonly description: string | undefined;
}

export interface TargetRegistry {
  /** Who is registered: `i-0123… :3000`. */
  readonly target: { readonly id: string; readonly port: number };
  readonly targetGroupArns: readonly string[];
  /** RegisterTargets in every target group (a target already in service is left alone). */
  register(): Promise<void>;
  /** DeregisterTargets in every target group (deregistering an unknown target succeeds). */
  deregister(): Promise<void>;
  /** DescribeTargetHealth of this target in every target group, in the order of targetGroupArns. */
  describe(): Promise<readonly TargetHealth[]>;
  /** The longest deregistration_delay.timeout_seconds of the target groups, in ms; undefined when none can be read. */
  deregistrationDelayMs(): Promise<number | undefined>;
}
