import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { c as createTar, t as listTar } from 'tar';
import { desiredSchema, manifestSchema } from '../../../agent/store/documents';
import { fileSize, lines, readJson, runCli, sha256File, snapshotDir, writeTree } from '../../support/cli-harness';

let work: string;
let store: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-push-'));
  store = path.join(work, 'store');
  await writeTree(path.join(work, 'app'), { 'server.js': 'require("http").createServer().listen(0);\n', 'lib/util.js': 'module.exports = 1;\n' });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function manifestOf(version: string) {
  return manifestSchema.parse(await readJson(path.join(store, 'releases', `${version}.json`)));
}

async function desired() {
  return desiredSchema.parse(await readJson(path.join(store, 'desired.json')));
}

async function archivePaths(file: string): Promise<string[]> {
  const paths: string[] = [];
  await listTar({ file, onReadEntry: (e) => paths.push(e.path) });
  return paths;
}

describe('deployctl push --dir', () => {
  it('writes the artifact, a manifest that matches it, and desired.json', async () => {
    // WHEN
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work });

    // THEN
    expect(run).toMatchObject({ code: 0, stderr: 'packing 2 files, 62 B\n' + `uploaded ${(await fileSize(path.join(store, 'releases/v1.tar.gz')))} B\n` });
    const artifact = path.join(store, 'releases', 'v1.tar.gz');
    const manifest = await manifestOf('v1');
    expect(manifest).toMatchObject({ version: 'v1', artifact: 'releases/v1.tar.gz', entry: 'server.js', createdBy: 'test@jest' });
    expect(manifest.sha256).toBe(await sha256File(artifact));
    expect(manifest.size).toBe(await fileSize(artifact));
    expect(Date.now() - Date.parse(manifest.createdAt)).toBeLessThan(60_000);
    expect(await archivePaths(artifact)).toEqual(['lib/', 'lib/util.js', 'server.js']);
    const state = await desired();
    expect(state).toMatchObject({ version: 'v1', strategy: 'rolling' });
    expect(state.previous).toBeUndefined();
    expect(lines(run.stdout)).toEqual([
      `created a new store in ${store}`,
      `pushed v1: releases/v1.tar.gz, ${manifest.size} B, sha256 ${manifest.sha256}`,
      'desired.json -> v1',
    ]);
  });

  it('records the version desired.json pointed at as previous, and the strategy', async () => {
    expect((await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work })).code).toBe(0);

    const run = await runCli(['push', 'v2', '--dir', 'app', '--store', store, '--strategy', 'service-out'], { cwd: work });

    expect(run.code).toBe(0);
    expect(await desired()).toMatchObject({ version: 'v2', strategy: 'service-out', previous: 'v1' });
    expect(lines(run.stdout)).toContain('desired.json -> v2 (was v1)');
    expect((await manifestOf('v1')).version).toBe('v1');
  });

  it('refuses a version that exists and leaves the store unchanged', async () => {
    expect((await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work })).code).toBe(0);
    await writeFile(path.join(work, 'app', 'server.js'), '// changed\n');
    const before = await snapshotDir(store);

    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^deployctl: version v1 already exists in .*; versions are immutable/)]);
    expect(run.stdout).toBe('');
    expect(await snapshotDir(store)).toEqual(before);
  });

  it('takes the entry from package.json "main" when --entry is not given', async () => {
    await writeTree(path.join(work, 'pkg'), { 'package.json': '{"name":"x","main":"./dist/index"}', 'dist/index.js': '' });

    const run = await runCli(['push', 'v1', '--dir', 'pkg', '--store', store], { cwd: work });

    expect(run.code).toBe(0);
    expect((await manifestOf('v1')).entry).toBe('dist/index.js');
  });

  it('takes the entry from --entry', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store, '--entry', 'lib/util.js'], { cwd: work });

    expect(run.code).toBe(0);
    expect((await manifestOf('v1')).entry).toBe('lib/util.js');
  });

  it('prints one JSON object with --json', async () => {
    expect((await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work })).code).toBe(0);

    const run = await runCli(['push', 'v2', '--dir', 'app', '--store', store, '--json'], { cwd: work });

    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toHaveLength(1);
    const manifest = await manifestOf('v2');
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, version: 'v2', sha256: manifest.sha256, size: manifest.size, previous: 'v1' });
  });

  it('draws progress bars when stderr is a terminal', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work, isTTY: true });

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/packing +\[█+\] 100% \| 2\/2 files, 62 B of 62 B/);
    expect(run.stderr).toMatch(/uploading \d+ B \(.*app\)/);
    expect(run.stderr).not.toContain('packing 2 files');
    expect(lines(run.stdout)).toContain('desired.json -> v1');
  });
});

describe('deployctl push --file', () => {
  it('uploads a ready .tar.gz byte for byte and hashes it', async () => {
    const file = path.join(work, 'release.tar.gz');
    await createTar({ file, gzip: true, cwd: path.join(work, 'app') }, ['server.js', 'lib']);

    const run = await runCli(['push', 'v9', '--file', 'release.tar.gz', '--store', store, '--entry', 'server.js', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const artifact = path.join(store, 'releases', 'v9.tar.gz');
    expect(await readFile(artifact)).toEqual(await readFile(file));
    const manifest = await manifestOf('v9');
    expect(manifest).toMatchObject({ sha256: await sha256File(file), size: await fileSize(file), entry: 'server.js' });
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, version: 'v9', sha256: manifest.sha256, previous: null });
    expect(run.stderr).toContain('uploading');
    expect(await desired()).toMatchObject({ version: 'v9' });
  });

  it('refuses an --entry the archive does not hold', async () => {
    const file = path.join(work, 'release.tar.gz');
    await createTar({ file, gzip: true, cwd: path.join(work, 'app') }, ['lib']);

    const run = await runCli(['push', 'v9', '--file', file, '--store', store, '--entry', 'server.js'], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^deployctl: entry file server\.js \(from --entry\) not found in .*release\.tar\.gz$/)]);
    expect(await snapshotDir(store)).toEqual({});
  });
});

describe('where the store comes from', () => {
  it('uses DEPLOYCTL_STORE when --store is not given', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app'], { cwd: work, env: { DEPLOYCTL_STORE: 'env-store' } });

    expect(run.code).toBe(0);
    expect(await sha256File(path.join(work, 'env-store', 'releases', 'v1.tar.gz'))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses deployctl.json in the working directory after that', async () => {
    await writeFile(path.join(work, 'deployctl.json'), JSON.stringify({ store: 'file-store' }));

    const run = await runCli(['push', 'v1', '--dir', 'app'], { cwd: work });

    expect(run.code).toBe(0);
    expect((await readJson(path.join(work, 'file-store', 'desired.json'))) as object).toMatchObject({ version: 'v1' });
  });

  it('prefers --store over DEPLOYCTL_STORE', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work, env: { DEPLOYCTL_STORE: 'env-store' } });

    expect(run.code).toBe(0);
    expect(await snapshotDir(path.join(work, 'env-store'))).toEqual({});
    expect((await desired()).version).toBe('v1');
  });

  it('fails with one line and exit 2 (a missing argument) when there is no store at all', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app'], { cwd: work, env: { DEPLOYCTL_STORE: undefined } });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('deployctl: no store: pass --store, set DEPLOYCTL_STORE or write deployctl.json\n');
  });
});

describe('two pushes racing for one version', () => {
  it('lets exactly one win; the other fails with "already exists"', async () => {
    await writeTree(path.join(work, 'other'), { 'server.js': '// the other app\n'.repeat(5000) });

    const runs = await Promise.all([
      runCli(['push', 'v7', '--dir', 'app', '--store', store], { cwd: work }),
      runCli(['push', 'v7', '--dir', 'other', '--store', store], { cwd: work }),
    ]);

    expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
    const loser = runs.find((r) => r.code === 1);
    expect(lines(loser?.stderr ?? '').at(-1)).toMatch(/^deployctl: version v7 already exists in /);
    const manifest = await manifestOf('v7');
    expect(manifest.sha256).toBe(await sha256File(path.join(store, 'releases', 'v7.tar.gz')));
    expect(await desired()).toMatchObject({ version: 'v7' });
    // One push won: one history entry (history/<time>-<rand>.json).
    expect(Object.keys(await snapshotDir(store)).sort()).toEqual(['desired.json', expect.stringMatching(/^history\/[0-9TZ-]+-[0-9a-f]{16}\.json$/), 'releases/v7.json', 'releases/v7.tar.gz']);
  });
});
