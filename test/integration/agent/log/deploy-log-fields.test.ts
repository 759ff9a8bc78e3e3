import type { DeployState } from '../../../../agent/deploy/deploy-state';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { waitUntil } from '../../../support/with-timeout';

type Line = Record<string, unknown>;

const STEPS: readonly DeployState[] = ['idle', 'fetching', 'unpacking', 'preparing', 'draining', 'rolling', 'validating', 'registering', 'rolling-back'];

/** The log lines of one deploy: from `deploying <version>` to the line that ends it (inclusive). */
function deployLines(logs: readonly Line[], version: string, end: (line: Line) => boolean): Line[] {
  const first = logs.findIndex((l) => l.msg === `deploying ${version}`);
  const last = logs.findIndex((l, i) => i > first && end(l));
  if (first < 0 || last < 0) throw new Error(`no complete deploy of ${version} in the log`);
  return logs.slice(first, last + 1);
}

/** What is wrong with a line of a deploy (empty when nothing is). */
function missingDeployFields(line: Line): string[] {
  const problems: string[] = [];
  if (!STEPS.includes(line.step as DeployState)) problems.push(`step ${JSON.stringify(line.step)}`);
  if (typeof line.version !== 'string' || line.version === '') problems.push(`version ${JSON.stringify(line.version)}`);
  return problems.map((p) => `${p} in ${JSON.stringify(line.msg)}`);
}

describe("the agent's JSON log", () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function runningV1(): Promise<AgentHarness> {
    const harness = await startAgentHarness({ app: { healthCheck: { path: '/health', timeoutMs: 5000 } } });
    h = harness;
    await harness.push('v1');
    await harness.agent.start();
    await waitUntil(() => harness.logs.some((l) => l.msg === 'v1 is live'), 30_000, 'v1 to go live');
    await harness.agent.settled();
    return harness;
  }

  it('gives every line of a deploy its step and version, and every worker line its slot, pid and version', async () => {
    const harness = await runningV1();
    await harness.push('v2');
    await waitUntil(() => harness.logs.some((l) => l.msg === 'v2 is live'), 30_000, 'v2 to go live');

    const lines = deployLines(harness.logs, 'v2', (l) => l.msg === 'v2 is live');
    expect(lines.flatMap(missingDeployFields)).toEqual([]);
    expect(new Set(lines.map((l) => l.step))).toEqual(new Set(['fetching', 'unpacking', 'rolling', 'validating', 'idle']));
    const workerLines = lines.filter((l) => l.event === 'worker-ready');
    expect(workerLines).toHaveLength(harness.agent.status.workersTotal);
    for (const line of workerLines) {
      expect(line).toMatchObject({ step: 'rolling', version: 'v2', slot: expect.any(Number), pid: expect.any(Number) });
    }
    // Each worker line names a process that ran v2 (the status knows the pids now serving).
    expect(new Set(workerLines.map((l) => l.pid))).toEqual(new Set(harness.agent.status.slots.map((s) => s.pid)));
    expect(lines.every((l) => l.service === 'deploy-agent' && typeof l.time === 'string' && typeof l.level === 'string')).toBe(true);
  });

  it('keeps step and version on every line of a deploy that fails and rolls back', async () => {
    const harness = await runningV1();
    await harness.push('v2', { mode: 'crash-on-boot' });
    await waitUntil(() => harness.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('deploy of v2 failed')), 30_000, 'the v2 deploy to fail');

    const lines = deployLines(harness.logs, 'v2', (l) => typeof l.msg === 'string' && l.msg.startsWith('deploy of v2 failed'));
    expect(lines.flatMap(missingDeployFields)).toEqual([]);
    expect(lines.map((l) => l.step)).toEqual(expect.arrayContaining(['rolling', 'rolling-back']));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'roll-failed', step: 'rolling', version: 'v2', slot: expect.any(Number), pid: null }));
    expect(lines[lines.length - 1]).toMatchObject({ level: 'error', version: 'v2', code: 'ROLL_FAILED', serving: 'v1' });
  });

  it('names the slot, pid and version of a worker that crashed outside a deploy', async () => {
    const harness = await runningV1();
    const victim = harness.agent.status.slots[0];
    if (!victim?.pid) throw new Error('slot 0 has no pid');
    process.kill(victim.pid, 'SIGKILL');
    await waitUntil(() => harness.logs.some((l) => l.event === 'worker-crashed'), 10_000, 'the worker-crashed line');

    const crashed = harness.logs.find((l) => l.event === 'worker-crashed');
    expect(crashed).toMatchObject({ level: 'warn', step: 'idle', slot: victim.slot, pid: victim.pid, version: 'v1', signal: 'SIGKILL', restartInMs: expect.any(Number) });
  });
});
