import { isValidMatcher } from './health-check';

/**
 * What a test says when it creates a target group. Every target lives on 127.0.0.1, so a target's
 * address is 127.0.0.1 and its port is its registered Port (or this `port`).
 */
export interface TargetGroupOptions {
  /** 1-32 letters, digits and hyphens, not starting or ending with a hyphen; unique per emulator. */
  readonly name: string;
  /** The port targets receive traffic on unless registered with their own. 1-65535. */
  readonly port: number;
  /** Path of the HTTP health check. @default '/' */
  readonly healthCheckPath?: string;
  /** Time between two health checks of one target. @default 1000 */
  readonly intervalMs?: number;
  /** Time without a response that fails a health check; must be less than `intervalMs`. @default 500 */
  readonly timeoutMs?: number;
  /** Consecutive successes that make a target healthy. 2-10. @default 2 */
  readonly healthyThreshold?: number;
  /** Consecutive failures that make a target unhealthy. 2-10. @default 2 */
  readonly unhealthyThreshold?: number;
  /** HTTP codes a healthy target answers: "200", "200,202" or "200-299". @default '200' */
  readonly matcher?: string;
  /** `deregistration_delay.timeout_seconds`. 0-3600. @default 300 */
  readonly deregistrationDelayS?: number;
}

/** A validated, complete target group configuration. */
export interface TargetGroupConfig {
  readonly name: string;
  readonly port: number;
  readonly healthCheckPath: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly matcher: string;
  readonly deregistrationDelayS: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`createTargetGroup: ${message}`);
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Fills defaults and refuses bad options with an error naming the option. */
export function resolveTargetGroupConfig(options: TargetGroupOptions): TargetGroupConfig {
  const config: TargetGroupConfig = {
    name: options.name,
    port: options.port,
    healthCheckPath: options.healthCheckPath ?? '/',
    intervalMs: options.intervalMs ?? 1000,
    timeoutMs: options.timeoutMs ?? Math.min(500, Math.floor((options.intervalMs ?? 1000) / 2)),
    healthyThreshold: options.healthyThreshold ?? 2,
    unhealthyThreshold: options.unhealthyThreshold ?? 2,
    matcher: options.matcher ?? '200',
    deregistrationDelayS: options.deregistrationDelayS ?? 300,
  };
  check(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(config.name), `invalid name '${config.name}'`);
  check(isIntIn(config.port, 1, 65535), `port must be 1-65535, got ${config.port}`);
  check(config.healthCheckPath.startsWith('/'), `healthCheckPath must start with '/'`);
  check(isIntIn(config.intervalMs, 50, 300_000), `intervalMs must be 50-300000, got ${config.intervalMs}`);
  check(isIntIn(config.timeoutMs, 10, config.intervalMs - 1), `timeoutMs must be 10 up to intervalMs - 1`);
  check(isIntIn(config.healthyThreshold, 2, 10), `healthyThreshold must be 2-10`);
  check(isIntIn(config.unhealthyThreshold, 2, 10), `unhealthyThreshold must be 2-10`);
  check(isValidMatcher(config.matcher), `invalid matcher '${config.matcher}'`);
  check(isIntIn(config.deregistrationDelayS, 0, 3600), `deregistrationDelayS must be 0-3600`);
  return config;
}
