import type { DesiredState, InstanceStatus, Manifest } from '../../agent/store/documents';
import { runningOn } from '../fleet/running-on';

export interface PruneInput {
  readonly manifests: readonly Manifest[];
  /** How many of the newest releases (by createdAt) to keep whatever else holds. */
  readonly keep: number;
  readonly desired: DesiredState | undefined;
  /** Every instance report, stale ones included: their disks still hold what they ran. */
  readonly statuses: readonly InstanceStatus[];
  /** Versions that went live on the fleet (live/<version>.json): kept before any that never did. */
  readonly wentLive?: ReadonlySet<string>;
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
 * Which releases `deployctl prune --keep N` removes: all but N, and NEVER the
 * desired one, the previous one, lastGood, or one any instance reports
 * running. The N kept are the newest that went live on the fleet; releases
 * that never went live (failed or never tried) go first and fill a place only
 * when fewer than N went live.
 */
export function planPrune(input: PruneInput): PrunePlan {
  const oldestFirst = [...input.manifests].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.version.localeCompare(b.version));
  const wentLive = input.wentLive;
  const worthKeeping = wentLive === undefined ? oldestFirst : [...oldestFirst.filter((m) => !wentLive.has(m.version)), ...oldestFirst.filter((m) => wentLive.has(m.version))];
  const newest = new Set(worthKeeping.slice(Math.max(0, worthKeeping.length - input.keep)).map((m) => m.version));
  const running = runningOn(input.statuses);
  const remove: Manifest[] = [];
  const kept: KeptRelease[] = [];
  for (const manifest of oldestFirst) {
    const v = manifest.version;
    const on = running.get(v);
    const reasons = [
      ...(newest.has(v) ? [wentLive?.has(v) ? 'newest live' : 'newest'] : []),
      ...(input.desired?.version === v ? ['desired'] : []),
      ...(input.desired?.previous === v ? ['previous'] : []),
      ...(input.desired?.lastGood === v ? ['lastGood'] : []),
      ...(on ? [`running on ${on.join(', ')}`] : []),
    ];
    if (reasons.length > 0) kept.push({ manifest, reasons });
    else remove.push(manifest);
  }
  return { remove, kept };
}
