import { validationError } from './api-error';

/** The attribute the emulator honours: how long a deregistered target stays `draining`. */
export const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';

/**
 * The attributes an HTTP target group of type `instance` reports, with ELBv2's defaults. Only
 * `deregistration_delay.timeout_seconds` changes the emulator's behaviour; the others are stored
 * and reported back.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html
 */
const defaults: ReadonlyArray<readonly [string, string]> = [
  [DEREGISTRATION_DELAY, '300'],
  ['stickiness.enabled', 'false'],
  ['stickiness.type', 'lb_cookie'],
  ['stickiness.lb_cookie.duration_seconds', '86400'],
  ['stickiness.app_cookie.cookie_name', ''],
  ['stickiness.app_cookie.duration_seconds', '86400'],
  ['slow_start.duration_seconds', '0'],
  ['load_balancing.algorithm.type', 'round_robin'],
  ['load_balancing.algorithm.anomaly_mitigation', 'off'],
  ['load_balancing.cross_zone.enabled', 'use_load_balancer_configuration'],
  ['target_group_health.dns_failover.minimum_healthy_targets.count', '1'],
  ['target_group_health.dns_failover.minimum_healthy_targets.percentage', 'off'],
  ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', '1'],
  ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', 'off'],
];

/** Checks one value; returns an error message or undefined. */
function invalid(key: string, value: string): string | undefined {
  const integerIn = (min: number, max: number): string | undefined =>
    /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
      ? undefined
      : `'${key}' must be an integer between ${min} and ${max}`;
  switch (key) {
    case DEREGISTRATION_DELAY:
      return integerIn(0, 3600);
    case 'stickiness.enabled':
      return value === 'true' || value === 'false' ? undefined : `'${key}' must be 'true' or 'false'`;
    case 'stickiness.lb_cookie.duration_seconds':
    case 'stickiness.app_cookie.duration_seconds':
      return integerIn(1, 604800);
    case 'slow_start.duration_seconds':
      return value === '0' ? undefined : integerIn(30, 900);
    default:
      return undefined;
  }
}

export interface Attribute {
  readonly key: string;
  readonly value: string;
}

/** One target group's attributes, in ELBv2's order. */
export class TargetGroupAttributes {
  private readonly values = new Map<string, string>(defaults);

  constructor(deregistrationDelayS: number) {
    this.values.set(DEREGISTRATION_DELAY, String(deregistrationDelayS));
  }

  list(): Attribute[] {
    return [...this.values].map(([key, value]) => ({ key, value }));
  }

  get deregistrationDelayS(): number {
    return Number(this.values.get(DEREGISTRATION_DELAY));
  }

  /** Applies every change or, if one is refused, none (ValidationError). */
  modify(changes: readonly Attribute[]): void {
    if (changes.length === 0) throw validationError('At least one attribute must be specified');
    for (const { key, value } of changes) {
      if (!this.values.has(key)) throw validationError(`Target group attribute key '${key}' is not recognized`);
      const message = invalid(key, value);
      if (message !== undefined) throw validationError(message);
    }
    for (const { key, value } of changes) this.values.set(key, value);
  }
}
