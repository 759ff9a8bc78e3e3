import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../agent/config/load';
import { changedPaths, snapshotTree } from '../../support/file-tree-snapshot';
import { runCommand, type CommandResult } from '../../support/run-command';
import { localStoreDropIn } from '../../support/systemd-unit';

const repo = path.resolve(__dirname, '../../..');
const installSh = path.join(repo, 'infra', 'install.sh');
const packAgentSh = path.join(repo, 'infra', 'pack-agent.sh');
const targetGroupArn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/my-app/0123456789abcdef';
const installArgs = [
  '--store', 's3://my-release-bucket/my-app',
  '--port', '3000',
  '--workers', '4',
  '--region', 'eu-west-1',
  '--instance-id', 'i-0123456789abcdef0',
  '--target-group-arn', targetGroupArn,
  '--max-unavailable', '2',
];

let work: string;
let tarball: string;
let npmEnv: NodeJS.ProcessEnv;
/** Installed once in beforeAll; tests that change it work on a copy. */
let root: string;
let firstRun: CommandResult;

async function packAgent(outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const result = await runCommand(packAgentSh, ['--out', outDir], { cwd: repo, timeoutMs: 240_000 });
  if (result.code !== 0) throw new Error(`pack-agent.sh failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim().split('\n').at(-1) ?? '';
}

function install(intoRoot: string, args: readonly string[]): Promise<CommandResult> {
  return runCommand(installSh, ['--root', intoRoot, '--tarball', tarball, ...args], { env: npmEnv, timeoutMs: 240_000 });
}

/** A copy of the installed root that shares file contents (hard links): install.sh replaces files, never edits them in place. */
async function copyOfRoot(name: string): Promise<string> {
  const copy = path.join(work, name);
  const result = await runCommand('cp', ['-a', '--link', root, copy], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`cp -a --link failed: ${result.stderr}`);
  return copy;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

beforeAll(async () => {
  // `npm test` builds dist/ before jest starts; the tarball packs it.
  await access(path.join(repo, 'dist', 'agent', 'main.js'));
  work = await mkdtemp(path.join(os.tmpdir(), 'deploy-agent-install-'));
  tarball = await packAgent(path.join(work, 'pack-1'));
  // No registry and an empty cache: everything must come from the tarball.
  npmEnv = { ...process.env, npm_config_offline: 'true', npm_config_cache: path.join(work, 'npm-cache'), npm_config_update_notifier: 'false' };
  root = path.join(work, 'root');
  await mkdir(root);
  firstRun = await install(root, installArgs);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('infra/pack-agent.sh', () => {
  it('packs the npm package with its production dependencies bundled, and none of the dev ones', async () => {
    const listing = await runCommand('tar', ['-tzf', tarball], { timeoutMs: 60_000 });
    const entries = new Set(listing.stdout.split('\n'));
    const extracted = path.join(work, 'inspect');
    await mkdir(extracted);
    await runCommand('tar', ['-xzf', tarball, '-C', extracted, 'package/package.json'], { timeoutMs: 60_000 });
    const pkg = JSON.parse(await readFile(path.join(extracted, 'package', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      bundleDependencies: string[];
    };

    const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string };

    expect(path.basename(tarball)).toBe(`deploy-agent-${version}.tgz`);
    expect(pkg.bundleDependencies.sort()).toEqual(Object.keys(pkg.dependencies).sort());
    for (const file of ['dist/agent/main.js', 'infra/install.sh', 'infra/systemd/deploy-agent.service']) expect(entries).toContain(`package/${file}`);
    for (const name of Object.keys(pkg.dependencies)) expect(entries).toContain(`package/node_modules/${name}/package.json`);
    for (const name of Object.keys(pkg.devDependencies)) expect(entries).not.toContain(`package/node_modules/${name}/package.json`);
  });

  it('packs reproducibly: the same checkout gives the same bytes', async () => {
    const again = await packAgent(path.join(work, 'pack-2'));

    expect(await sha256(again)).toBe(await sha256(tarball));
  }, 300_000);
});

describe('infra/install.sh --root', () => {
  it('installs the agent offline from the tarball alone, and its bin runs', async () => {
    expect(firstRun).toMatchObject({ code: 0 });
    const bin = path.join(root, 'opt/deploy-agent/node_modules/.bin/deploy-agent');

    const help = await runCommand(bin, ['--help'], { timeoutMs: 60_000 });

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: deploy-agent/);
  });

  it('writes the config from its arguments, 0640, and the agent accepts it', async () => {
    const configPath = path.join(root, 'etc/deploy-agent/config.json');

    expect(JSON.parse(await readFile(configPath, 'utf8'))).toEqual({
      store: 's3://my-release-bucket/my-app',
      app: { port: 3000, workers: 4 },
      s3: { region: 'eu-west-1' },
      releasesDir: '/var/lib/deploy-agent',
      instanceId: 'i-0123456789abcdef0',
      loadBalancer: { targetGroupArns: [targetGroupArn], maxUnavailable: 2, region: 'eu-west-1' },
      control: { socket: '/run/deploy-agent/control.sock' },
    });
    expect((await stat(configPath)).mode & 0o777).toBe(0o640);
    const runtime = await loadConfig(configPath);
    expect(runtime.loadBalancer).toMatchObject({ targetGroupArns: [targetGroupArn], maxUnavailable: 2 });
    expect(runtime.control.socket).toBe('/run/deploy-agent/control.sock');
  });

  it('installs the unit shipped in the package and enables it', async () => {
    const unitPath = path.join(root, 'etc/systemd/system/deploy-agent.service');

    expect(await readFile(unitPath, 'utf8')).toBe(await readFile(path.join(repo, 'infra/systemd/deploy-agent.service'), 'utf8'));
    expect((await stat(unitPath)).mode & 0o777).toBe(0o644);
    expect(await readlink(path.join(root, 'etc/systemd/system/multi-user.target.wants/deploy-agent.service'))).toBe('/etc/systemd/system/deploy-agent.service');
    expect(firstRun.stdout).toMatch(/not creating user deploy-agent/);
  });

  it('changes nothing when run again with the same arguments', async () => {
    const before = await snapshotTree(root);

    const second = await install(root, installArgs);

    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/done: nothing changed/);
    expect(changedPaths(before, await snapshotTree(root))).toEqual([]);
  });

  it('rewrites only the config when an argument changes', async () => {
    const copy = await copyOfRoot('root-new-port');
    const before = await snapshotTree(copy);

    const run = await install(copy, installArgs.map((arg) => (arg === '3000' ? '8080' : arg)));

    expect(run.code).toBe(0);
    expect(changedPaths(before, await snapshotTree(copy))).toEqual(['etc/deploy-agent/config.json']);
    expect(JSON.parse(await readFile(path.join(copy, 'etc/deploy-agent/config.json'), 'utf8'))).toMatchObject({ app: { port: 8080 } });
  });

  it('opens a directory store for writing with a drop-in, and removes it when the store moves to S3', async () => {
    const copy = await copyOfRoot('root-local-store');
    const dropIn = path.join(copy, 'etc/systemd/system/deploy-agent.service.d/local-store.conf');

    const local = await install(copy, ['--store', '/srv/releases', '--port', '3000']);

    expect(local.code).toBe(0);
    // `npm run lint` has systemd-analyze verify the unit with exactly this drop-in.
    expect(await readFile(dropIn, 'utf8')).toBe(localStoreDropIn('/srv/releases'));

    const s3 = await install(copy, installArgs);

    expect(s3.code).toBe(0);
    await expect(access(dropIn)).rejects.toThrow(/ENOENT/);
    // Back where it started: the drop-in and its directory are gone; the config was rewritten to the same bytes.
    expect(changedPaths(await snapshotTree(root), await snapshotTree(copy))).toEqual(['etc/deploy-agent/config.json']);
    expect(await readFile(path.join(copy, 'etc/deploy-agent/config.json'), 'utf8')).toBe(await readFile(path.join(root, 'etc/deploy-agent/config.json'), 'utf8'));
  });

  it.each([
    [['--store', '/srv/my releases'], /--store: expected s3:\/\/BUCKET\/PREFIX or an absolute directory/],
    [['--port', '0'], /--port: expected a whole number from 1 to 65535, got '0'/],
    [['--port', '70000'], /--port: expected a whole number from 1 to 65535/],
    [['--store', 'https://example.com/x'], /--store: expected s3:\/\/BUCKET\/PREFIX or an absolute directory/],
    [['--store', 's3://Upper/app'], /--store: expected s3:\/\/BUCKET\/PREFIX/],
    [['--target-group-arn', 'arn:aws:s3:::bucket'], /--target-group-arn: expected arn:aws:elasticloadbalancing/],
    [['--workers', 'lots'], /--workers: expected 'auto' or a whole number from 1 to 256/],
    [['--entry', '../server.js'], /--entry: expected a relative path inside the release/],
    [['--instance-id', 'i-0123 ; rm -rf /'], /--instance-id: expected an id/],
    [['--max-unavailable', '2'], /--max-unavailable needs --target-group-arn/],
    [['--bogus'], /unknown argument '--bogus'/],
  ])('refuses %j with exit 2, a reason naming the flag, and writes nothing', async (override, reason) => {
    const emptyRoot = await mkdtemp(path.join(work, 'refused-'));
    const flag = override[0] ?? '';
    // The base arguments without the overridden flag (and without the load balancer for --max-unavailable).
    const base = ['--store', 's3://my-release-bucket/my-app', '--port', '3000'].filter((_, i, all) => all[i - (i % 2)] !== flag);

    const run = await install(emptyRoot, [...base, ...override]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(reason);
    expect(await readdir(emptyRoot)).toEqual([]);
  });

  it.each([['--tarball'], ['--store'], ['--port']])('refuses to run without %s and says it is required', async (missing) => {
    const all = ['--tarball', tarball, '--store', 's3://my-release-bucket/my-app', '--port', '3000'];
    const args = all.filter((_, i) => all[i - (i % 2)] !== missing);

    const run = await runCommand(installSh, ['--root', work, ...args], { env: npmEnv, timeoutMs: 60_000 });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${missing} is required`);
  });
});
