import { startLoad, type LoadHandle } from '../support/load/load-client';
import { startRolloutFleet, type FleetInstance, type RolloutFleet } from '../support/rollout-fleet';
import { lines } from '../support/cli-harness';
import { startS3Server, type S3Server } from '../support/s3-server';
import { servedVersion } from '../support/spawned-agent';
import { waitUntil, withTimeout } from '../support/with-timeout';

/** Fewer than the 6 agents: the suite runs on a loaded 2-core machine. */
const AGENTS = 4;

/**
 * deploy-agent processes on the S3 test server with HTTP load on every
 * instance, following rollout policies pushed by `deployctl push --wait`
 * (DESIGN §7).
 */
describe(`fleet rollouts end to end (${AGENTS} agents on S3, HTTP load on each)`, () => {
  let s3: S3Server;
  let fleet: RolloutFleet;
  let loads: LoadHandle[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    fleet = await startRolloutFleet(s3, AGENTS);
    expect((await fleet.push('v1')).code).toBe(0);
    await onVersion(fleet.instances, 'v1');
  }, 120_000);

  afterEach(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    loads = [];
  });

  afterAll(async () => {
    await fleet?.stop();
    await s3?.stop();
  }, 90_000);

  async function onVersion(instances: readonly FleetInstance[], version: string): Promise<void> {
    await waitUntil(async () => (await Promise.all(instances.map((i) => servedVersion(i.port)))).every((v) => v === version), 90_000, `every instance to serve ${version}`, 200);
  }

  async function loadOn(instances: readonly FleetInstance[]): Promise<LoadHandle[]> {
    loads = instances.map((i) => startLoad({ port: i.port, keepAliveConcurrency: 1, freshConcurrency: 1, pauseMs: 20 }));
    await Promise.all(loads.map((l) => l.waitFor((r) => r.requests > 10, 20_000, 'load to run')));
    for (const l of loads) l.resetCounters();
    return loads;
  }

  /** Every failed request, named with the instance it went to and what that instance's agent was doing then. */
  async function failedRequests(handles: readonly LoadHandle[]): Promise<string[]> {
    const reports = await Promise.all(handles.map((l) => l.stop()));
    loads = [];
    return reports.flatMap((r, i) => r.failures.map((f) => `${fleet.instances[i]?.id ?? '?'}: ${f}`));
  }

  const started = (version: string) => fleet.log().filter((l) => l.msg === `deploying ${version}`);

  it('a good push with --canary 1 --batch 2 goes to the canary first and never to more than 2 at once, with no failed request', async () => {
    const handles = await loadOn(fleet.instances);
    const run = await withTimeout(fleet.push('v2', ['--canary', '1', '--batch', '2', '--wait', '--timeout', '120s']), 150_000, 'push --wait of v2');
    expect({ code: run.code, stderr: lines(run.stderr).slice(-2) }).toMatchObject({ code: 0 });
    expect(lines(run.stderr)).toEqual(expect.arrayContaining([expect.stringMatching(/stage canary/), expect.stringMatching(/stage done/)]));
    expect(await failedRequests(handles)).toEqual([]);
    const log = fleet.log();
    const firstLive = log.find((l) => l.msg === 'v2 is live');
    expect(started('v2').filter((l) => String(l.time) < String(firstLive?.time)).map((l) => l.instance)).toEqual([firstLive?.instance]);
    let deploying = 0;
    let most = 0;
    for (const line of log) {
      if (line.msg === 'deploying v2') most = Math.max(most, ++deploying);
      if (line.msg === 'v2 is live') deploying -= 1;
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(new Set(started('v2').map((l) => l.instance)).size).toBe(AGENTS);
  }, 180_000);

  it('a release that crashes at start, pushed with --canary 1, is tried by exactly one instance; the fleet is reverted; no failed request', async () => {
    const handles = await loadOn(fleet.instances);
    const run = await withTimeout(fleet.push('v3', ['--canary', '1', '--wait', '--timeout', '120s'], { mode: 'crash-on-boot' }), 150_000, 'push --wait of v3');
    expect(run.code).toBe(1);
    expect(lines(run.stderr).at(-1)).toMatch(/^deployctl: v3 was reverted to v2: .*failed instances: i-\d \(/);
    await onVersion(fleet.instances, 'v2');
    expect(await failedRequests(handles)).toEqual([]);
    expect(new Set(started('v3').map((l) => l.instance)).size).toBe(1);
  }, 180_000);

  it('an agent SIGKILLed mid-deploy is counted as failed after --stale-after, and the fleet is reverted', async () => {
    const slow = fleet.push('v4', ['--batch', '1', '--wait', '--timeout', '120s', '--stale-after', '5s'], { bootMs: 4_000 });
    await waitUntil(() => fleet.log().some((l) => l.step === 'rolling' && l.version === 'v4'), 60_000, 'an instance to be rolling v4', 50);
    const victim = fleet.instances.find((i) => i.id === fleet.log().find((l) => l.step === 'rolling' && l.version === 'v4')?.instance);
    expect(victim).toBeDefined();
    await fleet.kill(victim as FleetInstance);
    const run = await withTimeout(slow, 150_000, 'push --wait of v4');
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^counting ${victim?.id} as failed: stopped reporting during [a-z-]+ of v4`))]));
    expect(lines(run.stderr).at(-1)).toMatch(new RegExp(`^deployctl: v4 was reverted to v2: .*failed instances: ${victim?.id} \\(stopped reporting`));
    await onVersion(fleet.instances.filter((i) => i !== victim), 'v2');
  }, 180_000);

  it('an agent that was down during a rollout converges when it comes back', async () => {
    const down = fleet.instances.filter((i) => fleet.isDown(i));
    if (down.length === 0) {
      const stopped = fleet.instances[AGENTS - 1] as FleetInstance;
      stopped.agent?.kill('SIGTERM');
      if (stopped.agent) await withTimeout(stopped.agent.exited, 30_000, `the agent of ${stopped.id} to stop`);
      down.push(stopped);
    }
    const up = fleet.instances.filter((i) => !down.includes(i));
    const run = await withTimeout(fleet.push('v5', ['--canary', '1', '--batch', '2', '--wait', '--timeout', '120s', '--stale-after', '3s']), 150_000, 'push --wait of v5');
    expect({ code: run.code, last: lines(run.stderr).at(-1) }).toMatchObject({ code: 0 });
    await onVersion(up, 'v5');
    for (const instance of down) fleet.restart(instance);
    await onVersion(fleet.instances, 'v5');
    expect(new Set(started('v5').map((l) => l.instance))).toEqual(new Set(fleet.instances.map((i) => i.id)));
  }, 180_000);
});
