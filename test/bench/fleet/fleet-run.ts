import { agentDefaults } from '../../../agent/config/defaults';
import { startLoad, type LoadHandle, type LoadReport } from '../../support/load/load-client';
import { FLEET_LOAD } from './fleet-config';
import { measureIdleCost, type IdleCostResult } from './idle-cost';
import { measureGoodPushes, type PushTiming } from './pickup';
import { measureBadRelease, measureCanaryPush, rolloutPolicySupported, type BadReleaseOutcome, type CanaryTiming } from './rollout-policy';
import { startS3Fleet } from './s3-fleet';

export interface FleetRunOptions {
  readonly agents: number;
  readonly idleMinutes: number;
  readonly idleScale: number;
  /** Good pushes without a policy, measured for convergence and pickup (0: none, and no policy part either). */
  readonly goodPushes: number;
  /** Runs parts (a) with a policy and (b) when deployctl push has the rollout flags. */
  readonly policy: boolean;
  readonly say: (line: string) => void;
  /** Called with the fleet's stop once it runs, so a signal handler can stop it too. */
  readonly onStarted?: (stop: () => Promise<void>) => void;
}

export interface FleetResult {
  readonly agents: number;
  readonly idle: IdleCostResult;
  readonly pushes: readonly PushTiming[];
  /** null: not run (why in policyNote). */
  readonly canary: CanaryTiming | null;
  readonly bad: BadReleaseOutcome | null;
  readonly policyNote: string | undefined;
  /** HTTP load on every instance from the first good push to the end. */
  readonly load: { readonly requests: number; readonly failedRequests: number; readonly failures: readonly string[] } | null;
}

/**
 * `npm run bench:fleet` in one run: (c) the idle fleet's S3 requests on a
 * shortened clock, then, on the default timers and under HTTP load on every
 * instance, (a) good pushes without a policy (convergence and pickup) and, with
 * the rollout flags, one with `--canary 1 --batch 2 --bake 0`, and (b) a
 * crashing release with `--canary 1`. Everything started is stopped.
 */
export async function runFleet(options: FleetRunOptions): Promise<FleetResult> {
  const { say } = options;
  const fleet = await startS3Fleet(options.agents);
  options.onStarted?.(() => fleet.stop());
  let loads: LoadHandle[] = [];
  try {
    await fleet.push('v1');
    say(`(c) ${options.agents} agents, timers / ${options.idleScale}: counting ${options.idleMinutes} idle minutes of their clock`);
    const idle = await measureIdleCost(fleet, { minutes: options.idleMinutes, scale: options.idleScale, version: 'v1' });
    say(`(c) ${idle.getsPerInstance.toFixed(1)} GET-class + ${idle.putsPerInstance.toFixed(1)} PUT-class requests per instance: $${idle.usdPerInstanceDay.toFixed(5)} per instance-day`);
    if (options.goodPushes === 0) return { agents: options.agents, idle, pushes: [], canary: null, bad: null, policyNote: 'not run', load: null };

    // The default timers; started a poll period apart in all, as instances of a real fleet start at different moments.
    await fleet.startAgents(undefined, 'v1', agentDefaults.pollIntervalMs / options.agents);
    loads = fleet.agents.map((a) => startLoad({ port: a.port, ...FLEET_LOAD }));
    const versions = Array.from({ length: options.goodPushes }, (_, i) => `g${i + 1}`);
    say(`(a) ${versions.length} good pushes, no policy, default timers, HTTP load on every instance`);
    const pushes = await measureGoodPushes(fleet, versions, agentDefaults.pollIntervalMs, say);

    let canary: CanaryTiming | null = null;
    let bad: BadReleaseOutcome | null = null;
    let policyNote: string | undefined;
    if (!options.policy) {
      policyNote = 'not run';
    } else if (!rolloutPolicySupported()) {
      policyNote = 'needs rollouts: deployctl push has no --canary/--batch/--bake yet (issue #13 items 1-3)';
      say(`(a)/(b) with a policy: ${policyNote}`);
    } else {
      say('(a) a good push with --canary 1 --batch 2 --bake 0');
      canary = await measureCanaryPush(fleet, 'c1');
      say(`(a) converged in ${canary.goodCanaryMs} ms`);
      say('(b) a release that crashes at start, pushed with --canary 1');
      bad = await measureBadRelease(fleet, 'bad1', 'c1');
      say(`(b) tried by ${bad.tried.length} (${bad.tried.join(', ')}); reverted and converged in ${bad.revertMs} ms`);
    }
    const reports: LoadReport[] = await Promise.all(loads.map((l) => l.stop()));
    loads = [];
    const load = {
      requests: reports.reduce((n, r) => n + r.requests, 0),
      failedRequests: reports.reduce((n, r) => n + r.failedRequests, 0),
      failures: reports.flatMap((r) => r.failures).slice(0, 20),
    };
    return { agents: options.agents, idle, pushes, canary, bad, policyNote, load };
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
    await fleet.stop();
  }
}
