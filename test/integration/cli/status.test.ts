import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { InstanceStatus } from '../../../agent/store/documents';
import { LocalStore } from '../../../agent/store/local-store';
import { DEFAULT_STALE_AFTER_MS } from '../../../cli/fleet/fleet';
import { dispatch } from '../../../cli/run/dispatch';
import { COMMANDS } from '../../../cli/main';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { lines, runCli } from '../../support/cli-harness';
import { waitUntil, withTimeout } from '../../support/with-timeout';

/** Gone for 5 minutes longer than the default --stale-after (3 default heartbeats). */
const GONE_MS = DEFAULT_STALE_AFTER_MS + 5 * 60_000;
const LONG_ERROR = `roll to v2 failed at start: worker 1 exited with code 1 (stderr: Error: cannot find module 'pg' ${'x'.repeat(80)})`;

/** What an agent that went away GONE_MS ago left behind. */
function goneReport(): InstanceStatus {
  return {
    instanceId: 'i-gone',
    agentVersion: '0.1.0',
    running: 'v1',
    desired: 'v2',
    state: 'idle',
    workers: { ready: 2, total: 2 },
    lastDeploy: { version: 'v2', result: 'rolled-back', error: LONG_ERROR, startedAt: new Date(Date.now() - GONE_MS - 5_000).toISOString(), durationMs: 900 },
    updatedAt: new Date(Date.now() - GONE_MS).toISOString(),
  };
}

describe('deployctl status (two agents on one store, one instance gone)', () => {
  let a: AgentHarness | undefined;
  let b: AgentHarness | undefined;

  beforeAll(async () => {
    a = await startAgentHarness({ instanceId: 'i-a' });
    b = await startAgentHarness({ instanceId: 'i-b' }, { store: a.store });
    await a.push('v1');
    await Promise.all([a.agent.start(), b.agent.start()]);
    const store = a.store;
    const bothLive = (version: string) => () => ['i-a', 'i-b'].every((id) => reportsLive(readInstanceReport(store, id), version));
    await waitUntil(bothLive('v1'), 30_000, 'i-a and i-b to report v1 live');
    await Promise.all([a.agent.settled(), b.agent.settled()]);
    await a.push('v2');
    await waitUntil(bothLive('v2'), 30_000, 'i-a and i-b to report v2 live');
    await new LocalStore(store).writeInstanceStatus(goneReport());
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const storeDir = (): string => (a as AgentHarness).store;

  it('prints desired.json, then one row per instance, with the stale one marked and its error shortened', async () => {
    const run = await runCli(['status', '--store', storeDir()], { cwd: os.tmpdir() });

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [header, columns, ...rows] = lines(run.stdout);
    expect(header).toMatch(/^desired: v2 \(rolling\), updated \d{4}-\d\d-\d\dT\S+Z \(\d+s ago\), previous: v1$/);
    expect(columns).toMatch(/^INSTANCE +VERSION +DESIRED +STATE +WORKERS +LAST DEPLOY +HEARTBEAT$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^i-a +v2 +v2 +idle +2\/2 +v2 succeeded +\d+s ago$/);
    expect(rows[1]).toMatch(/^i-b +v2 +v2 +idle +2\/2 +v2 succeeded +\d+s ago$/);
    expect(rows[2]).toMatch(new RegExp(`^i-gone +v1 +v2 +idle +2/2 +v2 rolled-back: roll to v2 failed at start: .{10,}… +${GONE_MS / 60_000}m0\\ds ago, stale$`));
    expect(rows[2]).not.toContain('x'.repeat(80));
  });

  it('--json prints desired.json and every report with its age and stale flag', async () => {
    const run = await runCli(['status', '--store', storeDir(), '--json'], { cwd: os.tmpdir() });

    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { desired: unknown; instances: (InstanceStatus & { stale: boolean; ageMs: number })[] };
    expect(out.desired).toMatchObject({ version: 'v2', strategy: 'rolling', previous: 'v1' });
    expect(out.instances.map((i) => [i.instanceId, i.running, i.stale])).toEqual([
      ['i-a', 'v2', false],
      ['i-b', 'v2', false],
      ['i-gone', 'v1', true],
    ]);
    expect(out.instances[0]).toMatchObject({ state: 'idle', workers: { ready: 2, total: 2 }, lastDeploy: { version: 'v2', result: 'succeeded' } });
    expect(out.instances[0]?.ageMs).toBeLessThan(90_000);
    expect(out.instances[2]?.ageMs).toBeGreaterThanOrEqual(GONE_MS);
    expect(out.instances[2]?.lastDeploy?.error).toBe(LONG_ERROR);
  });

  it('--stale-after moves the threshold', async () => {
    const lenient = await runCli(['status', '--store', storeDir(), '--stale-after', '1h'], { cwd: os.tmpdir() });
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).not.toContain('stale');

    const strict = await runCli(['status', '--store', storeDir(), '--json', '--stale-after', '1ms'], { cwd: os.tmpdir() });
    const out = JSON.parse(strict.stdout) as { instances: { stale: boolean }[] };
    expect(out.instances.map((i) => i.stale)).toEqual([true, true, true]);
  });

  it.each([[false], [true]])('--watch repeats until interrupted (terminal: %s)', async (terminal) => {
    const stdout = new PassThrough();
    if (terminal) Object.assign(stdout, { isTTY: true });
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const text = (): string => Buffer.concat(chunks).toString();
    const controller = new AbortController();
    const io = { stdout, stderr: new PassThrough(), env: {}, cwd: os.tmpdir(), isTTY: false, signal: controller.signal };

    const running = dispatch(COMMANDS, ['status', '--watch', '--store', storeDir()], io);
    await waitUntil(() => text().split('INSTANCE').length - 1 >= 2, 10_000, 'two frames of status --watch');
    controller.abort();

    expect(await withTimeout(running, 5_000, 'status --watch to stop')).toBe(0);
    const frames = text().split('desired: v2 (rolling)').slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const frame of frames) expect(frame).toMatch(/\ni-gone .*stale\n/);
    expect(text().includes('\x1b[H\x1b[2J')).toBe(terminal);
  });
});

describe('deployctl status (empty store)', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-status-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('says nothing was pushed and no instance reported', async () => {
    await mkdir(path.join(work, 'store'));
    const run = await runCli(['status', '--store', 'store'], { cwd: work });

    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['desired: none (nothing pushed to store yet)', 'no instance has reported to store yet (instances/ is empty)']);
  });

  it('refuses a store directory that does not exist (a typo must not look like an empty store)', async () => {
    const run = await runCli(['status', '--store', 'stroe', '--json'], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([`deployctl: the store directory ${path.join(work, 'stroe')} does not exist (stroe from --store): check the path; 'deployctl push' creates a new store`]);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'STORE_DIR_MISSING' });
    await expect(stat(path.join(work, 'stroe'))).rejects.toThrow(/ENOENT/);
  });

  it.each([[['--stale-after', 'soon']], [['--stale-after', '0']], [['extra']]])('exits 2 with one line for %j', async (args) => {
    const run = await runCli(['status', '--store', 'store', ...args], { cwd: work });

    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^deployctl: /)]);
  });
});
