import { S3Store } from '../../../agent/store/s3-store';
import { PUSH_HELP } from '../../../cli/commands/push';
import { waitUntil } from '../../support/with-timeout';
import { FLEET_TIMEOUTS } from './fleet-config';
import type { S3Fleet } from './s3-fleet';

/** The flags of a canary push (issue #13) exist in this build of deployctl. */
export function rolloutPolicySupported(help: string = PUSH_HELP): boolean {
  return ['--canary', '--batch', '--bake'].every((flag) => help.includes(flag));
}

export interface CanaryTiming {
  /** desired.json written → every instance serves the good release pushed with `--canary 1 --batch 2 --bake 0`. */
  readonly goodCanaryMs: number;
}

export interface BadReleaseOutcome {
  /** Instances whose agent started deploying the crashing release. */
  readonly tried: readonly string[];
  /** desired.json written → desired.json back on lastGood and every instance idle on it. */
  readonly revertMs: number;
}

/** Part (a) with a policy: a good release with `--canary 1 --batch 2 --bake 0`. */
export async function measureCanaryPush(fleet: S3Fleet, version: string): Promise<CanaryTiming> {
  const { desiredAt } = await fleet.push(version, { flags: ['--canary', '1', '--batch', '2', '--bake', '0'] });
  await fleet.waitServing(version, FLEET_TIMEOUTS.convergeMs);
  return { goodCanaryMs: Date.now() - desiredAt };
}

/**
 * Part (b): a release that crashes at start, pushed with `--canary 1` onto a
 * fleet on `lastGood`: which instances tried it, and how long until the fleet
 * was reverted (desired.json names lastGood again) and every instance reports
 * idle on lastGood.
 */
export async function measureBadRelease(fleet: S3Fleet, version: string, lastGood: string): Promise<BadReleaseOutcome> {
  const store = new S3Store(fleet.bucket, fleet.storePrefix, fleet.s3.options);
  const { desiredAt } = await fleet.push(version, { fixture: { mode: 'crash-on-boot' }, flags: ['--canary', '1'] });
  await waitUntil(
    async () => {
      const desired = await store.readDesired();
      if (desired?.value.version !== lastGood) return false;
      const reports = await store.listInstanceStatuses();
      const ids = new Set(fleet.agents.map((a) => a.id));
      const settled = reports.filter((r) => ids.has(r.instanceId) && r.running === lastGood && r.state === 'idle' && r.desired === lastGood);
      return settled.length === fleet.agents.length;
    },
    FLEET_TIMEOUTS.convergeMs,
    `desired.json to be reverted to ${lastGood} and every instance idle on it`,
    200,
  );
  const revertMs = Date.now() - desiredAt;
  await fleet.waitServing(lastGood, FLEET_TIMEOUTS.convergeMs);
  const tried = fleet.agents.filter((a) => a.agent?.logs.some((line) => line['msg'] === `deploying ${version}`) === true).map((a) => a.id);
  return { tried, revertMs };
}
