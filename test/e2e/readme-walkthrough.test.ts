import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/fixture-releases';
import { freePort } from '../support/free-port';
import { codeBlocks, readReadme } from '../support/readme';
import { runCommand } from '../support/run-command';
import { withTimeout } from '../support/with-timeout';

/**
 * The README's "One machine by hand", as a newcomer follows it: `npm link` in
 * the checkout (into a temp prefix, not the machine's), then the walk-through
 * block verbatim in bash, in a temp HOME, with the one change a shared test
 * machine needs: a free port instead of 3000.
 */
const HEADING = 'One machine by hand';

function walkthrough(): string {
  const blocks = codeBlocks(readReadme()).filter((b) => b.heading === HEADING && b.lang === 'sh');
  const block = blocks.find((b) => b.lines.some((l) => l.startsWith('deploy-agent --config')));
  if (block === undefined) throw new Error(`the README has no sh block under "${HEADING}" that starts deploy-agent`);
  return `${block.lines.join('\n')}\n`;
}

let work: string;
let walk: ReturnType<typeof spawn> | undefined;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'deployctl-walkthrough-'));
});

afterAll(() => {
  // bash runs in a process group of its own: whatever it left running (the agent, its workers) goes with it.
  try {
    if (walk?.pid !== undefined) process.kill(-walk.pid, 'SIGKILL');
  } catch {
    // the group is gone: nothing is left running
  }
  rmSync(work, { recursive: true, force: true });
});

describe("the README's one-machine walk-through", () => {
  it('runs as written: npm link, a local store, the agent in the background, push --wait, status, rollback --wait, releases, stop', async () => {
    const prefix = path.join(work, 'prefix');
    const home = path.join(work, 'home');
    mkdirSync(home);
    // `npm link`, with npm's global prefix in the temp dir (offline: it links the checkout, it downloads nothing).
    const npmEnv = { ...process.env, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    const linked = await runCommand('npm', ['link', '--ignore-scripts'], { cwd: repoRoot(), env: npmEnv, timeoutMs: 240_000 });
    expect({ code: linked.code, stderr: linked.stderr.split('\n').filter((l) => /ERR/.test(l)) }).toEqual({ code: 0, stderr: [] });

    const port = await freePort();
    const script = walkthrough().replace('"port": 3000', `"port": ${port}`);
    expect(script).toContain(`"port": ${port}`);
    // The Node that runs the tests first on PATH: the bins start with `#!/usr/bin/env node` (deployctl) and `#!/usr/bin/env -S node <V8 flags>` (deploy-agent).
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), process.env['PATH'] ?? ''].join(':') };
    delete env['DEPLOYCTL_STORE'];
    const child = spawn('bash', ['-e', '-c', script], { cwd: work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    walk = child;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await withTimeout(once(child, 'exit'), 240_000, 'the README walk-through to finish')) as [number | null];

    // stderr has the progress lines of push and --wait; no error, no warning.
    expect({ code, errors: stderr.split('\n').filter((l) => /^(deployctl|deploy-agent):|warning/i.test(l)) }).toEqual({ code: 0, errors: [] });
    const lines = stdout.split('\n');
    // Without `instanceId` in the config, the instance is the host name.
    expect(lines).toContain(`v1 is live on 1 instance: ${hostname()}`);
    expect(lines).toContain('desired.json -> v2 (was v1)');
    expect(lines).toContainEqual(expect.stringMatching(/^desired: v2 \(rolling\), .*previous: v1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^running +v2$/));
    expect(lines).toContain('desired.json -> v1 (was v2)');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^v1 .* desired +- +${hostname()}$`)));
    // Everything stayed in ~/one-host, and the agent stopped (SIGTERM, exit 0) before the script ended.
    const dir = path.join(home, 'one-host');
    for (const file of ['store/desired.json', 'agent/current', 'agent.log', 'agent.json', 'app/server.js']) expect(existsSync(path.join(dir, file))).toBe(true);
    expect(readFileSync(path.join(dir, 'agent.log'), 'utf8')).toMatch(/"code":0,.*"msg":"deploy-agent stopped"/);
  }, 480_000);
});
