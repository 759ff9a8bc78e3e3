import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../../../agent/lifecycle/node-flags';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { runControl } from '../../../support/control-harness';
import { repoRoot } from '../../../support/fixture-releases';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

const socketOf = (h: AgentHarness): string => path.join(h.work, 'agent.sock');

/** The compiled `deploy-agent <args>` as a real process, with the agent's V8 flags as its bin's first line gives them. */
async function deployAgentBin(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, path.join(repoRoot(), 'dist', 'agent', 'main.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await withTimeout(once(child, 'exit'), 30_000, `deploy-agent ${args.join(' ')}`)) as [number | null];
  return { code, stdout, stderr };
}

describe('deploy-agent status|reload|rollback', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function serving(version: string): Promise<AgentHarness> {
    const harness = await startAgentHarness();
    h = harness;
    await harness.push(version);
    await harness.agent.start();
    await waitUntil(() => harness.logs.some((l) => l.msg === `${version} is live`), 30_000, `${version} to go live`);
    await harness.agent.settled();
    return harness;
  }

  it('prints the status for a person: release, desired, state, each worker, last deploy', async () => {
    const harness = await serving('v1');
    const run = await runControl(['status', '--socket', socketOf(harness)], { cwd: harness.work });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    const total = harness.agent.status.workersTotal;
    expect(lines).toEqual(
      expect.arrayContaining([
        'running      v1',
        'desired      v1',
        'previous     (none)',
        'state        idle',
        `workers      ${total}/${total} ready`,
        expect.stringMatching(/^last deploy {2}v1 succeeded in \d+\.\d s at \S+$/),
      ]),
    );
    for (const slot of harness.agent.status.slots) expect(lines).toContain(`  slot ${slot.slot}  v1  pid ${slot.pid}  ready`);
  });

  it('finds the socket from control.socket of --config, relative to the config file', async () => {
    const harness = await serving('v1');
    const config = path.join(harness.work, 'other.json');
    writeFileSync(config, JSON.stringify({ store: 'x', app: { port: 1 }, control: { socket: 'agent.sock' } }));
    expect((await runControl(['status', '--config', config, '--json'], { cwd: '/' })).code).toBe(0);
    // And from the default config file when no flag is given.
    expect((await runControl(['status'], { cwd: '/', defaultConfigPath: config })).code).toBe(0);
  });

  it('exits 1 with the reason when the agent refuses, as JSON too with --json', async () => {
    const harness = await serving('v1');
    const run = await runControl(['rollback', '--socket', socketOf(harness), '--json'], { cwd: harness.work });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ ok: false, code: 'NO_PREVIOUS_RELEASE', error: expect.stringMatching(/no previous release/) });
    expect(run.stderr).toMatch(/^deploy-agent rollback: no previous release/);
  });

  it('exits 3 and says what to check when no agent answers', async () => {
    const harness = await startAgentHarness();
    h = harness;
    const missing = await runControl(['status', '--socket', socketOf(harness), '--json'], { cwd: harness.work });
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, code: 'AGENT_UNREACHABLE' });
    expect(missing.stderr).toContain(`cannot reach deploy-agent on ${socketOf(harness)}: no such socket`);
    expect(missing.stderr).toMatch(/Is the agent running.*Is the socket path right.*Are you root/);
  });

  it('says a --socket that is a regular file is not a socket (exit 3)', async () => {
    const harness = await startAgentHarness();
    h = harness;
    const file = path.join(harness.work, 'not-a-socket');
    writeFileSync(file, '');

    const run = await runControl(['status', '--socket', file, '--json'], { cwd: harness.work });

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'AGENT_UNREACHABLE' });
    expect(run.stderr).toContain(`cannot reach deploy-agent on ${file}: it is not a socket but a regular file.`);
  });

  it('exits 2 on bad arguments (as JSON too with --json), 0 with the help for --help and -h', async () => {
    const bad = await runControl(['reload', '--sokcet', '/x'], { cwd: '/' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^deploy-agent reload: .*--sokcet.*see 'deploy-agent reload --help'/);
    const badJson = await runControl(['status', '--json', 'extra'], { cwd: '/' });
    expect(badJson.code).toBe(2);
    expect(JSON.parse(badJson.stdout)).toMatchObject({ ok: false, code: 'USAGE', error: expect.stringMatching(/extra/) });
    for (const flag of ['--help', '-h']) {
      const help = await runControl(['rollback', flag], { cwd: '/' });
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/^Usage: deploy-agent rollback \[--socket PATH\] \[--json\]/);
    }
  });

  it('runs as the installed binary: deploy-agent status --socket PATH --json', async () => {
    const harness = await serving('v1');
    const run = await deployAgentBin(['status', '--socket', socketOf(harness), '--json'], harness.work);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, command: 'status', result: { running: 'v1', state: 'idle' } });
    const gone = await deployAgentBin(['status', '--socket', path.join(harness.work, 'nobody.sock')], harness.work);
    expect(gone.code).toBe(3);
  });
});
