import type { InstanceStatus } from '../../agent/store/documents';

/** version → the instances that report running it (stale reports included: their disks still hold it). */
export function runningOn(statuses: readonly InstanceStatus[]): Map<string, string[]> {
  const running = new Map<string, string[]>();
  for (const status of statuses) {
    if (status.running === null) continue;
    running.set(status.running, [...(running.get(status.running) ?? []), status.instanceId]);
  }
  return running;
}
