import type { DesiredState, InstanceStatus, Manifest } from '../../agent/store/documents';
import { runningOn } from '../fleet/running-on';

export interface PruneInput {
  readonly manifests: readonly Manifest[];
  /** How many of the newest releases (by createdAt) to keep whatever else holds. */
  readonly keep: number;
  readonly desired: DesiredState | undefined;
  /** Every instance report, stale ones included: their disks still hold what they ran. */
  readonly statuses: readonly InstanceStatus[];
}

export interface KeptRelease {
  readonly manifest: Manifest;
  /** Why it stays: `newest`, `desired`, `previous`, `running on i-1, i-2`. */
  readonly reasons: readonly string[];
}

export interface PrunePlan {
  /** Oldest first. */
  readonly remove: readonly Manifest[];
  /** Oldest first. */
  readonly kept: readonly KeptRelease[];
}

/**
 * Which releases `deployctl prune --keep N` removes: all but the N newest, and
 * NEVER the desired one, the previous one, or one any instance reports running.
 */
export function planPrune(input: PruneInput): PrunePlan {
  const oldestFirst = [...input.manifests].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.version.localeCompare(b.version));
  const newest = new Set(oldestFirst.slice(Math.max(0, oldestFirst.length - input.keep)).map((m) => m.version));
  const running = runningOn(input.statuses);
  const remove: Manifest[] = [];
  const kept: KeptRelease[] = [];
  for (const manifest of oldestFirst) {
    const v = manifest.version;
    const on = running.get(v);
    const reasons = [
      ...(newest.has(v) ? ['newest'] : []),
      ...(input.desired?.version === v ? ['desired'] : []),
      ...(input.desired?.previous === v ? ['previous'] : []),
      ...(on ? [`running on ${on.join(', ')}`] : []),
    ];
    if (reasons.length > 0) kept.push({ manifest, reasons });
    else remove.push(manifest);
  }
  return { remove, kept };
}
