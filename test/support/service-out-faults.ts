import path from 'node:path';
import { LocalSlots } from '../../agent/store/local-slots';
import type { HeldSlot } from '../../agent/store/slot-store';
import type { TargetState } from './elbv2/elbv2-emulator';
import { readStateFile } from './release-invariants';
import type { FleetInstance, ServiceOutFleet } from './service-out-fleet';

/**
 * What fault tests of service-out deploys read off a fleet without asking
 * the ELBv2 API (whose answers a test may be failing on purpose): the state
 * of a target from the emulator's timeline, the slots in the store, the step
 * each agent's state.json records.
 */

/** A target's state in the fleet's target group right now, from the emulator's timeline (`unused` before its first event). */
export function targetState(fleet: ServiceOutFleet, id: string): TargetState {
  const events = fleet.emulator.timeline.filter((e) => e.targetGroupArn === fleet.arn && e.targetId === id);
  return events[events.length - 1]?.to ?? 'unused';
}

/** The service-out slots in the fleet's store (locks/), live or expired. */
export function storeSlots(fleet: ServiceOutFleet): Promise<HeldSlot[]> {
  return new LocalSlots(fleet.store, fleet.store).listSlots();
}

/** The instance whose state.json records `step` of a deploy of `version`, if one does. */
export function instanceInStep(fleet: ServiceOutFleet, step: string, version: string): FleetInstance | undefined {
  return fleet.instances.find((i) => {
    try {
      const state = readStateFile(i.releasesDir);
      return state.state === step && state.target === version;
    } catch {
      return false; // not written yet
    }
  });
}

/** The source tree the fleet pushed as `version` (its `push` writes fixtures under work/src). */
export function fleetSourceOf(fleet: ServiceOutFleet): (version: string) => string {
  return (version) => path.join(fleet.work, 'src', version);
}
