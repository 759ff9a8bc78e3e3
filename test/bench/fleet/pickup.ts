import { percentile } from '../soak/soak-report';
import { FLEET_TIMEOUTS } from './fleet-config';
import type { S3Fleet } from './s3-fleet';

export interface PushTiming {
  readonly version: string;
  /** desired.json written → every app port answers with the version. */
  readonly convergedMs: number;
  /** desired.json written → each agent's read of releases/<version>.json (the start of its fetch). */
  readonly pickupMs: readonly number[];
}

/**
 * Part (a) without a policy, and pickup: pushes good releases one after the
 * other, each to an idle fleet and at a random moment of its agents' poll
 * period (a push is not timed to the polls); for each, how long until every
 * instance serves it, and how long each agent took to start fetching it (its
 * manifest read, as the S3 test server saw it).
 */
export async function measureGoodPushes(fleet: S3Fleet, versions: readonly string[], pollIntervalMs: number, say: (line: string) => void): Promise<PushTiming[]> {
  const timings: PushTiming[] = [];
  for (const version of versions) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * pollIntervalMs));
    const { desiredAt } = await fleet.push(version);
    await fleet.waitServing(version, FLEET_TIMEOUTS.convergeMs);
    const convergedMs = Date.now() - desiredAt;
    const manifestKey = `${fleet.storePrefix}/releases/${version}.json`;
    const reads = fleet.s3.requests.filter((r) => r.operation === 'GetObject' && r.key === manifestKey && r.at >= desiredAt);
    if (reads.length < fleet.agents.length) {
      throw new Error(`${version}: every agent serves it, but the S3 test server saw ${reads.length} manifest reads from ${fleet.agents.length} agents`);
    }
    const pickupMs = reads.slice(0, fleet.agents.length).map((r) => r.at - desiredAt);
    say(`${version}: converged in ${convergedMs} ms; pickup p50 ${percentile(pickupMs, 50)} ms, max ${Math.max(...pickupMs)} ms`);
    timings.push({ version, convergedMs, pickupMs });
  }
  return timings;
}
