import { probe, type ProbeResult } from './health-check';
import type { TargetGroupConfig } from './target-group-config';
import { describeReason, transition, type TargetReason, type TargetState } from './target-state';

/** What a registered target needs from its target group. */
export interface RegisteredTargetDeps {
  readonly config: TargetGroupConfig;
  /** How long a new registration stays `initial`/`Elb.RegistrationInProgress` before health checks start. */
  readonly registrationMs: number;
  /** Called on every change of state or reason, after it is applied. */
  record(from: TargetState, to: TargetState, reason: TargetReason | undefined): void;
  /** Called once a draining target's deregistration delay has ended (it is now `unused`). */
  gone(): void;
  /** Lets the emulator abort an in-flight health check on stop; returns the untrack function. */
  trackProbe(abort: () => void): () => void;
}

/**
 * One (Id, Port) registration in a target group: its state machine, its health check loop and its
 * deregistration timer. Starts `unused`; `register()` brings it in.
 */
export class RegisteredTarget {
  private current: TargetState = 'unused';
  private currentReason: TargetReason | undefined = 'Target.NotRegistered';
  private detail: string | undefined;
  private successes = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped whenever the health check loop must forget in-flight results. */
  private generation = 0;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly deps: RegisteredTargetDeps,
  ) {}

  get state(): TargetState {
    return this.current;
  }

  get reason(): TargetReason | undefined {
    return this.currentReason;
  }

  get description(): string | undefined {
    return this.currentReason === undefined ? undefined : describeReason(this.currentReason, this.detail);
  }

  /** `unused` or `draining` → `initial`; a no-op for a target already in service. */
  register(): void {
    if (this.current !== 'unused' && this.current !== 'draining') return;
    this.restart();
    this.move('initial', 'Elb.RegistrationInProgress');
    this.timer = setTimeout(() => {
      this.move('initial', 'Elb.InitialHealthChecking');
      this.check(this.generation);
    }, this.deps.registrationMs);
  }

  /** → `draining` for `delayS`, then `unused` (and `gone()`). A no-op unless in service. */
  deregister(delayS: number): void {
    if (this.current === 'unused' || this.current === 'draining') return;
    this.restart();
    this.move('draining', 'Target.DeregistrationInProgress');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.move('unused', 'Target.NotRegistered');
      this.deps.gone();
    }, delayS * 1000);
  }

  /** Stops every timer and forgets in-flight health checks. Idempotent. */
  stop(): void {
    this.restart();
  }

  private restart(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.generation += 1;
    this.successes = 0;
    this.failures = 0;
  }

  private move(to: TargetState, reason: TargetReason | undefined, detail?: string): void {
    const from = this.current;
    if (from === to && this.currentReason === reason) {
      this.detail = detail;
      return;
    }
    this.current = transition(from, to);
    this.currentReason = reason;
    this.detail = detail;
    this.deps.record(from, to, reason);
  }

  private check(generation: number): void {
    const { config } = this.deps;
    const startedAt = Date.now();
    const target = {
      port: this.port,
      path: config.healthCheckPath,
      timeoutMs: config.timeoutMs,
      matcher: config.matcher,
    };
    void probe(target, (abort) => this.deps.trackProbe(abort)).then((result) => {
      if (generation !== this.generation) return;
      this.apply(result);
      const wait = Math.max(0, config.intervalMs - (Date.now() - startedAt));
      this.timer = setTimeout(() => this.check(generation), wait);
    });
  }

  private apply(result: ProbeResult): void {
    const { healthyThreshold, unhealthyThreshold } = this.deps.config;
    if (result.ok) {
      this.failures = 0;
      this.successes += 1;
      if (this.current !== 'healthy' && this.successes >= healthyThreshold) this.move('healthy', undefined);
      return;
    }
    this.successes = 0;
    this.failures += 1;
    if (this.current === 'unhealthy' || this.failures >= unhealthyThreshold) {
      this.move('unhealthy', result.reason, result.detail);
    }
  }
}
