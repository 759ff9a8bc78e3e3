import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InstanceStatus } from '../../../../agent/store/documents';
import { LocalStore } from '../../../../agent/store/local-store';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { repoRoot } from '../../../support/fixture-releases';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/** A real local store that also keeps every report the agent sends it, in order. */
class RecordingStore extends LocalStore {
  readonly written: { status: InstanceStatus }[] = [];

  override async writeInstanceStatus(status: InstanceStatus): Promise<void> {
    this.written.push({ status });
    await super.writeInstanceStatus(status);
  }
}

function reportOf(h: AgentHarness, id: string): InstanceStatus | undefined {
  return readInstanceReport(h.store, id);
}

function isLiveOn(report: InstanceStatus | undefined, version: string): boolean {
  return reportsLive(report, version) && report?.workers.total === 2;
}

/** The steps in the order they were reported, each once per stretch. */
function stepsOf(written: readonly { status: InstanceStatus }[]): string[] {
  return written.map((w) => w.status.state).filter((step, i, all) => i === 0 || all[i - 1] !== step);
}

const DEPLOY_ORDER = ['idle', 'fetching', 'unpacking', 'rolling', 'validating', 'idle'];

function inDeployOrder(steps: readonly string[]): boolean {
  let at = 0;
  for (const step of steps) {
    const found = DEPLOY_ORDER.indexOf(step, at);
    if (found < 0) return false;
    at = found + 1;
  }
  return true;
}

describe('the agent status report (instances/<id>.json)', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('appears after start with the instance, agent version, release, workers and last deploy', async () => {
    h = await startAgentHarness({ instanceId: 'i-report' });
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => isLiveOn(reportOf(h as AgentHarness, 'i-report'), 'v1'), 20_000, 'a report of v1 live on i-report');

    const report = reportOf(h, 'i-report');
    const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(report).toMatchObject({
      instanceId: 'i-report',
      agentVersion: pkg.version,
      running: 'v1',
      desired: 'v1',
      state: 'idle',
      workers: { ready: 2, total: 2 },
      lastDeploy: { version: 'v1', result: 'succeeded', startedAt: expect.any(String), durationMs: expect.any(Number) },
    });
    expect(Math.abs(Date.now() - Date.parse(report?.updatedAt ?? ''))).toBeLessThan(10_000);
  });

  it('reports the steps of a deploy as they happen, in order, ending idle on the new release', async () => {
    let recording: RecordingStore | undefined;
    h = await startAgentHarness({ instanceId: 'i-steps' }, { openStore: (dir) => (recording = new RecordingStore(dir)) });
    const written = (recording as RecordingStore).written;
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => isLiveOn(reportOf(h as AgentHarness, 'i-steps'), 'v1'), 20_000, 'a report of v1 live');
    await h.agent.settled();
    const mark = written.length;

    await h.push('v2');
    await waitUntil(() => isLiveOn(written.at(-1)?.status, 'v2'), 20_000, 'a report of v2 live');
    await waitUntil(() => isLiveOn(reportOf(h as AgentHarness, 'i-steps'), 'v2'), 5_000, 'that report in the store');

    const during = written.slice(mark);
    const steps = stepsOf(during);
    expect(inDeployOrder(steps)).toBe(true);
    // Rolling lasts while workers boot: it is always seen; the final report is idle on v2 with its result.
    expect(steps).toContain('rolling');
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(during.filter((w) => w.status.state !== 'idle').every((w) => w.status.desired === 'v2')).toBe(true);
    expect(during.at(-1)?.status).toMatchObject({ state: 'idle', running: 'v2', lastDeploy: { version: 'v2', result: 'succeeded' } });
  });

  it('refreshes updatedAt every heartbeatMs while nothing changes', async () => {
    let recording: RecordingStore | undefined;
    h = await startAgentHarness({ instanceId: 'i-beat', heartbeatMs: 1000 }, { openStore: (dir) => (recording = new RecordingStore(dir)) });
    const written = (recording as RecordingStore).written;
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => isLiveOn(reportOf(h as AgentHarness, 'i-beat'), 'v1'), 20_000, 'a report of v1 live');
    await h.agent.settled();
    const mark = written.length;

    // The first write after the mark may still be the deploy's last step; the two after it are heartbeats.
    await waitUntil(() => written.length >= mark + 3, 6_000, 'two heartbeat reports');

    const beats = written.slice(mark + 1, mark + 3).map((b) => b.status);
    expect(beats.map((b) => [b.state, b.running])).toEqual([
      ['idle', 'v1'],
      ['idle', 'v1'],
    ]);
    const [first, second] = beats.map((b) => Date.parse(b.updatedAt));
    // About heartbeatMs apart (a write that had to wait for the one before it may come a little early).
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(500);
    await waitUntil(() => Date.parse(reportOf(h as AgentHarness, 'i-beat')?.updatedAt ?? '') >= (second ?? Infinity), 5_000, 'the store to hold the last heartbeat');
  });

  it('keeps deploying when the report cannot be written, says so once, and reports again once it can', async () => {
    h = await startAgentHarness({ instanceId: 'i-broken', heartbeatMs: 1000 });
    await h.push('v1');
    // instances/ is a file: every write of a report fails, a real store failure.
    writeFileSync(path.join(h.store, 'instances'), 'not a directory');
    await h.agent.start();
    await waitUntil(() => h?.agent.status.version === 'v1', 20_000, 'the agent to run v1');
    await h.agent.settled();
    await h.push('v2');
    await waitUntil(() => h?.agent.status.agent?.current === 'v2' && h.agent.status.agent.state === 'idle', 20_000, 'the agent to run v2');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a heartbeat or two fail too

    const failures = h.logs.filter((l) => l.msg === 'cannot write the status report; the agent carries on and tries again');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 'warn', store: h.store });

    rmSync(path.join(h.store, 'instances'));
    await waitUntil(() => isLiveOn(reportOf(h as AgentHarness, 'i-broken'), 'v2'), 5_000, 'a report once the store takes writes again');
    await waitUntil(() => h?.logs.some((l) => l.msg === 'status reports are written again') === true, 5_000, "the 'written again' log");
    expect(h.logs.filter((l) => l.msg === 'cannot write the status report; the agent carries on and tries again')).toHaveLength(1);
  });

  it('writes a last report saying stopped when the agent stops', async () => {
    h = await startAgentHarness({ instanceId: 'i-stop' });
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => isLiveOn(reportOf(h as AgentHarness, 'i-stop'), 'v1'), 20_000, 'a report of v1 live');

    await withTimeout(h.agent.stop(), 30_000, 'the agent to stop');

    expect(reportOf(h, 'i-stop')).toMatchObject({ state: 'stopped', running: 'v1', workers: { ready: 0 } });
  });
});
