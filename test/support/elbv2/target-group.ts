import { Elbv2ApiError } from './api-error';
import { RegisteredTarget } from './registered-target';
import { TargetGroupAttributes } from './target-group-attributes';
import type { TargetGroupConfig } from './target-group-config';
import { describeReason, type TargetReason, type TargetState } from './target-state';
import type { TimelineEvent } from './timeline';

/** A target as the API names it: `Id` and an optional `Port` (the group's port when absent). */
export interface TargetRef {
  readonly id: string;
  readonly port: number | undefined;
}

/** One `TargetHealthDescription`. */
export interface TargetHealthView {
  readonly id: string;
  readonly port: number;
  readonly state: TargetState;
  readonly reason: TargetReason | undefined;
  readonly description: string | undefined;
}

export interface TargetGroupDeps {
  readonly registrationMs: number;
  record(event: TimelineEvent): void;
  /** A draining target's deregistration delay ended: its connections must be cut. */
  targetGone(target: RegisteredTarget): void;
  trackProbe(abort: () => void): () => void;
}

const keyOf = (id: string, port: number): string => `${id}:${port}`;

/** One target group: its configuration, attributes and registered targets, in registration order. */
export class TargetGroup {
  readonly attributes: TargetGroupAttributes;
  private readonly targets = new Map<string, RegisteredTarget>();

  constructor(
    readonly arn: string,
    readonly config: TargetGroupConfig,
    private readonly deps: TargetGroupDeps,
  ) {
    this.attributes = new TargetGroupAttributes(config.deregistrationDelayS);
  }

  /** Registers each target; already registered ones are left alone, draining ones come back. */
  register(refs: readonly TargetRef[]): void {
    const ports = refs.map((ref) => this.portOf(ref));
    refs.forEach((ref, i) => {
      const port = ports[i] ?? this.config.port;
      const key = keyOf(ref.id, port);
      let target = this.targets.get(key);
      if (!target) {
        target = this.createTarget(ref.id, port);
        this.targets.set(key, target);
      }
      target.register();
    });
  }

  /** Starts draining each registered target; unknown targets are ignored, as ELBv2 does. */
  deregister(refs: readonly TargetRef[]): void {
    const ports = refs.map((ref) => this.portOf(ref));
    refs.forEach((ref, i) => {
      this.targets.get(keyOf(ref.id, ports[i] ?? this.config.port))?.deregister(this.attributes.deregistrationDelayS);
    });
  }

  /**
   * Every registered target, or the ones named. A named target with a Port matches that
   * registration; without one, every registration of its Id (or, with none, an `unused` entry on
   * the group's port).
   */
  describeHealth(refs: readonly TargetRef[]): TargetHealthView[] {
    const all = [...this.targets.values()];
    if (refs.length === 0) return all.map(view);
    return refs.flatMap((ref) => {
      const port = ref.port === undefined ? undefined : this.portOf(ref);
      const found = all.filter((t) => t.id === ref.id && (port === undefined || t.port === port));
      if (found.length > 0) return found.map(view);
      return [notRegistered(ref.id, port ?? this.config.port)];
    });
  }

  /** Every registered target, draining ones included, in registration order. */
  registered(): RegisteredTarget[] {
    return [...this.targets.values()];
  }

  /** Targets that may receive traffic at all (every registered one that is not draining). */
  inService(): RegisteredTarget[] {
    return this.registered().filter((t) => t.state !== 'draining' && t.state !== 'unused');
  }

  /** Stops every target's timers and health checks. */
  stop(): void {
    for (const target of this.targets.values()) target.stop();
  }

  private portOf(ref: TargetRef): number {
    if (ref.id === '') throw new Elbv2ApiError('InvalidTarget', 'A target Id must not be empty');
    const port = ref.port ?? this.config.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Elbv2ApiError('InvalidTarget', `The port of target '${ref.id}' must be 1-65535, got ${port}`);
    }
    return port;
  }

  private createTarget(id: string, port: number): RegisteredTarget {
    const target: RegisteredTarget = new RegisteredTarget(id, port, {
      config: this.config,
      registrationMs: this.deps.registrationMs,
      trackProbe: (abort) => this.deps.trackProbe(abort),
      record: (from, to, reason) =>
        this.deps.record({ at: Date.now(), targetGroupArn: this.arn, targetId: id, port, from, to, reason }),
      gone: () => {
        this.targets.delete(keyOf(id, port));
        this.deps.targetGone(target);
      },
    });
    return target;
  }
}

function view(target: RegisteredTarget): TargetHealthView {
  return {
    id: target.id,
    port: target.port,
    state: target.state,
    reason: target.reason,
    description: target.description,
  };
}

function notRegistered(id: string, port: number): TargetHealthView {
  const reason = 'Target.NotRegistered';
  return { id, port, state: 'unused', reason, description: describeReason(reason) };
}
