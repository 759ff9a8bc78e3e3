import { agentDefaults } from '../../agent/config/defaults';
import { STOPPED_STATE } from '../../agent/status/instance-report';
import type { DesiredState, InstanceStatus } from '../../agent/store/documents';
import type { ReleaseStore, Versioned } from '../../agent/store/release-store';

/**
 * A report older than this is stale: 3 × the agent's default heartbeat (5 min),
 * so an idle agent that is up is never shown stale, even when two heartbeats in
 * a row fail to reach the store.
 */
export const DEFAULT_STALE_AFTER_MS = 3 * agentDefaults.heartbeatMs;

/** One instance's report, with how old it is and whether its agent still counts. */
export interface InstanceView extends InstanceStatus {
  readonly ageMs: number;
  /** The report is older than the stale threshold: its agent is gone or cannot reach the store. */
  readonly stale: boolean;
}

/** What the store says about the fleet: what it should run, and what each instance reported. */
export interface FleetView {
  readonly desired: Versioned<DesiredState> | undefined;
  readonly instances: readonly InstanceView[];
  /** The names (never the values) of the desired release's env and secrets, when read (`deployctl status`). */
  readonly desiredConfig?: { readonly env: readonly string[]; readonly secrets: readonly string[] };
}

export async function readFleet(store: ReleaseStore, staleAfterMs: number): Promise<FleetView> {
  const [desired, statuses] = await Promise.all([store.readDesired(), store.listInstanceStatuses()]);
  return { desired, instances: viewInstances(statuses, staleAfterMs, Date.now()) };
}

export function viewInstances(statuses: readonly InstanceStatus[], staleAfterMs: number, now: number): InstanceView[] {
  return statuses.map((status) => {
    const ageMs = now - Date.parse(status.updatedAt);
    return { ...status, ageMs, stale: ageMs > staleAfterMs };
  });
}

/** An instance whose agent counts for a rollout: reporting recently and not stopped. */
export function isLive(instance: InstanceView): boolean {
  return !instance.stale && instance.state !== STOPPED_STATE;
}
