import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { runControl } from '../../../support/control-harness';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

const socketOf = (h: AgentHarness): string => path.join(h.work, 'agent.sock');

describe('the control socket', () => {
  const harnesses: AgentHarness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
  });

  async function harness(overrides: Parameters<typeof startAgentHarness>[0] = {}): Promise<AgentHarness> {
    const h = await startAgentHarness(overrides);
    harnesses.push(h);
    return h;
  }

  async function serving(version: string): Promise<AgentHarness> {
    const h = await harness();
    await h.push(version);
    await h.agent.start();
    await waitUntil(() => h.logs.some((l) => l.msg === `${version} is live`), 30_000, `${version} to go live`);
    await h.agent.settled();
    return h;
  }

  it('is created with mode 0600 without leaving the umask changed, and answers status', async () => {
    const h = await harness();
    const before = path.join(h.work, 'before.txt');
    writeFileSync(before, '', { mode: 0o666 });
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => h.logs.some((l) => l.msg === 'v1 is live'), 30_000, 'v1 to go live');
    await h.agent.settled();

    const socket = statSync(socketOf(h));
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);
    const after = path.join(h.work, 'after.txt');
    writeFileSync(after, '', { mode: 0o666 });
    expect(statSync(after).mode & 0o777).toBe(statSync(before).mode & 0o777);

    const run = await runControl(['status', '--socket', socketOf(h), '--json'], { cwd: h.work });
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as { ok: boolean; result: Record<string, unknown> };
    const status = h.agent.status;
    expect(answer).toMatchObject({
      ok: true,
      result: {
        pid: process.pid,
        running: 'v1',
        desired: 'v1',
        current: 'v1',
        previous: null,
        state: 'idle',
        workers: { ready: status.workersTotal, total: status.workersTotal },
        lastDeploy: { version: 'v1', result: 'succeeded' },
        failed: null,
        configPath: path.join(h.work, 'agent.json'),
      },
    });
    expect((answer.result.slots as { pid: number }[]).map((s) => s.pid)).toEqual(status.slots.map((s) => s.pid));
  });

  it('reload re-reads a changed config, and refuses a broken one while the old one stays', async () => {
    const h = await serving('v1');
    const configPath = path.join(h.work, 'agent.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, pollIntervalMs: 250, keep: 3 }));

    const run = await runControl(['reload', '--socket', socketOf(h)], { cwd: h.work });
    expect(run).toMatchObject({ code: 0, stdout: `configuration reloaded from ${configPath}\n` });
    expect(h.logs).toContainEqual(expect.objectContaining({ msg: 'configuration reloaded', pollIntervalMs: 250, keep: 3 }));

    writeFileSync(configPath, '{ "store": ');
    const broken = await runControl(['reload', '--socket', socketOf(h)], { cwd: h.work });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^deploy-agent reload: config .*agent\.json is not valid JSON/);
    expect(await servedVersion(h.port)).toBe('v1');
    expect((await runControl(['status', '--socket', socketOf(h)], { cwd: h.work })).code).toBe(0);
  });

  it('replaces a socket file that nobody answers on (left by an agent killed with SIGKILL)', async () => {
    const h = await harness();
    const socket = socketOf(h);
    const squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await withTimeout(once(squatter.stdout, 'data'), 10_000, 'the squatter to listen');
    squatter.kill('SIGKILL');
    await withTimeout(once(squatter, 'exit'), 10_000, 'the squatter to die');
    expect(lstatSync(socket).isSocket()).toBe(true);

    await h.agent.start();
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'warn', socket, msg: expect.stringMatching(/removed a stale control socket/) }));
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect((await runControl(['status', '--socket', socket], { cwd: h.work })).code).toBe(0);
  });

  it('refuses a second agent on the same socket before it touches anything; the first keeps answering', async () => {
    const first = await serving('v1');
    const second = await harness({ control: { socket: socketOf(first) } });

    await expect(second.agent.start()).rejects.toMatchObject({ code: 'CONTROL_SOCKET_IN_USE', message: expect.stringMatching(/another deploy-agent is running/) });
    expect(existsSync(path.join(second.releasesDir, 'state.json'))).toBe(false);
    await second.agent.stop();
    expect((await runControl(['status', '--socket', socketOf(first)], { cwd: first.work })).code).toBe(0);
  });

  it('never removes a file at the socket path that is not a socket', async () => {
    const h = await harness();
    writeFileSync(socketOf(h), 'notes');
    await expect(h.agent.start()).rejects.toMatchObject({ code: 'CONTROL_SOCKET_NOT_A_SOCKET' });
    expect(readFileSync(socketOf(h), 'utf8')).toBe('notes');
  });

  it('is removed when the agent stops', async () => {
    const h = await harness();
    await h.agent.start();
    expect(existsSync(socketOf(h))).toBe(true);
    await h.agent.stop();
    expect(existsSync(socketOf(h))).toBe(false);
    const run = await runControl(['status', '--socket', socketOf(h)], { cwd: h.work });
    expect(run.code).toBe(3); // the agent cannot be reached
  });
});
