import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGENT_NODE_FLAGS, AGENT_SHEBANG } from '../../../../agent/lifecycle/node-flags';
import { repoRoot } from '../../../support/fixture-releases';
import { runCommand, type CommandResult } from '../../../support/run-command';

/** deploy-agent's own command line (agent/main.ts), as the compiled bin, with the Node that runs the tests and the agent's V8 flags. */
const bin = path.join(repoRoot(), 'dist', 'agent', 'main.js');
const { version } = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string };

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'deploy-agent-cli-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function agent(args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [...AGENT_NODE_FLAGS, bin, ...args], { cwd: work, timeoutMs: 30_000 });
}

/** A `#!` line's interpreter and its one argument. */
function splitShebang(line: string): [string, string] {
  const match = /^#!(\S+) (.+)$/.exec(line);
  if (match === null) throw new Error(`not a shebang with an argument: ${JSON.stringify(line)}`);
  return [match[1] as string, match[2] as string];
}

function writeConfig(config: Record<string, unknown>): string {
  const file = path.join(work, 'config.json');
  writeFileSync(file, JSON.stringify({ releasesDir: 'agent', control: { socket: 'agent.sock' }, ...config }));
  return file;
}

describe('deploy-agent command line', () => {
  it('prints its version (and the Node it runs on) for --version, exit 0', async () => {
    expect(await agent(['--version'])).toEqual({ code: 0, stdout: `deploy-agent ${version} (Node ${process.version})\n`, stderr: '' });
  });

  it('runs through its own first line, as a shebang: env -S starts node from PATH with the agent V8 flags', async () => {
    const [interpreter, argument] = splitShebang(readFileSync(bin, 'utf8').split('\n')[0] ?? '');
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}` };

    // What the kernel does with `#!INTERPRETER ARGUMENT`: one argument, the rest of the line.
    const run = await runCommand(interpreter, [argument, bin, '--version'], { cwd: work, env, timeoutMs: 30_000 });

    expect(`#!${interpreter} ${argument}`).toBe(AGENT_SHEBANG);
    expect(run).toEqual({ code: 0, stdout: `deploy-agent ${version} (Node ${process.version})\n`, stderr: '' });
  });

  it.each([['-h'], ['--help']])('prints the help for %s, exit 0', async (flag) => {
    const run = await agent([flag]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: deploy-agent \[--config FILE\]\n/);
    expect(run.stdout).toContain('-h, --help');
    expect(run.stdout).toContain('--version');
  });

  it.each([[['--bogus']], [['--config']], [['deploy']]])('exits 2 with one line for the bad arguments %j', async (args) => {
    const run = await agent(args);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^deploy-agent: .* \(see 'deploy-agent --help'\)\n$/);
  });

  it('exits 2 on a config type error, saying what was given', async () => {
    mkdirSync(path.join(work, 'store'));
    const run = await agent(['--config', writeConfig({ store: 'store', app: { port: '21180', workers: 0 } })]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('app.port: expected an integer, got the string "21180"');
    expect(run.stderr).toContain('app.workers: expected "auto" or an integer 1-256, got 0');
  });

  it('refuses a store directory that does not exist (exit 2), naming it, and creates nothing', async () => {
    const run = await agent(['--config', writeConfig({ store: 'relaeses', app: { port: 21180 } })]);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `deploy-agent: the store directory ${path.join(work, 'relaeses')} does not exist (store in ${path.join(work, 'config.json')}; ` +
        `a relative path is resolved against the config file's directory): fix the path, or create the store with ` +
        `'deployctl push <version> --dir PATH --store ${path.join(work, 'relaeses')}'\n`,
    );
    expect(existsSync(path.join(work, 'relaeses'))).toBe(false);
    expect(existsSync(path.join(work, 'agent'))).toBe(false);
  });

  it.each([['ftp://host/releases', /store: expected s3:\/\/BUCKET\/PREFIX, file:\/\/\/path or a directory, got the string "ftp:\/\/host\/releases"/], ['s3://Bad_Bucket/app', /invalid S3 store URL s3:\/\/Bad_Bucket\/app/]])(
    'refuses the store URL %s as a config error (exit 2)',
    async (store, reason) => {
      const run = await agent(['--config', writeConfig({ store, app: { port: 21180 } })]);

      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(reason);
      expect(run.stdout).toBe('');
    },
  );
});
