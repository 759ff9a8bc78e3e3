import type { TargetReason, TargetState } from './target-state';

/**
 * One change of a target's state or reason, as the emulator saw it. `from` is `unused` when a new
 * target is registered; `to` is `unused` (reason `Target.NotRegistered`) when a draining target's
 * deregistration delay ends and it disappears. A change of reason alone (say
 * `Elb.RegistrationInProgress` → `Elb.InitialHealthChecking`) has `from === to`.
 */
export interface TimelineEvent {
  /** Milliseconds since the epoch (Date.now()). */
  readonly at: number;
  readonly targetGroupArn: string;
  readonly targetId: string;
  readonly port: number;
  readonly from: TargetState;
  readonly to: TargetState;
  /** ELBv2's reason code; undefined when `to` is `healthy`. */
  readonly reason: TargetReason | undefined;
}

export interface OutOfServiceWindow {
  /** Count only from this moment (state before it is replayed). @default the first event */
  readonly from?: number;
  /** Count only up to this moment. @default the last event */
  readonly to?: number;
}

/**
 * The largest number of `targetIds` that were not `healthy` in target group `targetGroupArn` at
 * the same moment. A target counts as out of service until its first event makes it healthy, so
 * give `window.from` (a moment when the fleet was settled) to measure a rollout alone. Events
 * sharing a millisecond are applied together before counting. A target id's state is the state of
 * its latest event, whatever the port.
 */
export function maxOutOfService(
  timeline: readonly TimelineEvent[],
  targetGroupArn: string,
  targetIds: readonly string[],
  window: OutOfServiceWindow = {},
): number {
  const watched = new Set(targetIds);
  const events = timeline
    .filter((e) => e.targetGroupArn === targetGroupArn && watched.has(e.targetId))
    .sort((a, b) => a.at - b.at);
  const from = window.from ?? events[0]?.at ?? 0;
  const to = window.to ?? Number.POSITIVE_INFINITY;
  const states = new Map<string, TargetState>();
  const outOfService = (): number => targetIds.filter((id) => states.get(id) !== 'healthy').length;

  let index = 0;
  while (index < events.length && (events[index]?.at ?? 0) <= from) {
    const event = events[index++];
    if (event) states.set(event.targetId, event.to);
  }
  let max = outOfService();
  while (index < events.length) {
    const at = events[index]?.at ?? 0;
    if (at > to) break;
    while (index < events.length && events[index]?.at === at) {
      const event = events[index++];
      if (event) states.set(event.targetId, event.to);
    }
    max = Math.max(max, outOfService());
  }
  return max;
}
