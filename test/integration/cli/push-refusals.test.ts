import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lines, runCli, snapshotDir, writeTree } from '../../support/cli-harness';

let work: string;
let store: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-refuse-'));
  store = path.join(work, 'store');
  await writeTree(path.join(work, 'app'), { 'server.js': '// app\n' });
  await writeTree(path.join(work, 'no-entry'), { 'index.js': '// not server.js\n' });
  await writeTree(path.join(work, 'bad-main'), { 'package.json': '{"main":"app.js"}', 'server.js': '' });
  await mkdir(path.join(work, 'empty', 'only-dirs'), { recursive: true });
  await writeFile(path.join(work, 'plain.tar.gz'), 'this is not gzip at all');
  await writeFile(path.join(work, 'truncated.tar.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('deployctl push refuses bad input with one line and leaves the store alone', () => {
  test.each([
    ['an invalid version name', ['push', 'v1/../x', '--dir', 'app'], 2, /^deployctl: invalid version "v1\/\.\.\/x": use 1-128 letters/],
    ['a version starting with a dot', ['push', '.v1', '--dir', 'app'], 2, /^deployctl: invalid version "\.v1"/],
    ['a missing entry file', ['push', 'v1', '--dir', 'no-entry'], 1, /^deployctl: entry file server\.js not found in .*no-entry: add it, pass --entry FILE/],
    ['a missing --entry file', ['push', 'v1', '--dir', 'app', '--entry', 'main.js'], 1, /^deployctl: entry file main\.js \(from --entry\) not found in /],
    ['an --entry outside the app', ['push', 'v1', '--dir', 'app', '--entry', '../server.js'], 1, /^deployctl: --entry "\.\.\/server\.js" must be a file path inside the app dir$/],
    ['a package.json main that is missing', ['push', 'v1', '--dir', 'bad-main'], 1, /^deployctl: entry file app\.js \(the "main" of package\.json\) not found in /],
    ['an empty dir', ['push', 'v1', '--dir', 'empty'], 1, /^deployctl: app dir .*empty is empty: there is nothing to push$/],
    ['a missing dir', ['push', 'v1', '--dir', 'nowhere'], 1, /^deployctl: app dir .*nowhere does not exist$/],
    ['a file that is not gzip', ['push', 'v1', '--file', 'plain.tar.gz'], 1, /^deployctl: artifact file .*plain\.tar\.gz is not gzip-compressed \(expected a \.tar\.gz\)$/],
    ['a truncated .tar.gz', ['push', 'v1', '--file', 'truncated.tar.gz'], 1, /^deployctl: artifact file .*truncated\.tar\.gz is not a valid \.tar\.gz: /],
    ['a missing --file', ['push', 'v1', '--file', 'gone.tar.gz'], 1, /^deployctl: artifact file .*gone\.tar\.gz does not exist$/],
    ['--timeout without --wait', ['push', 'v1', '--dir', 'app', '--timeout', '10m'], 2, /^deployctl: --timeout only applies with --wait \(see 'deployctl push --help'\)$/],
    ['a --timeout that is no duration', ['push', 'v1', '--dir', 'app', '--wait', '--timeout', 'forever'], 2, /^deployctl: --timeout must be a duration like 90s, 10m, 1h/],
    ['a --stale-after of zero', ['push', 'v1', '--dir', 'app', '--wait', '--stale-after', '0s'], 2, /^deployctl: --stale-after must be more than 0/],
    ['both --dir and --file', ['push', 'v1', '--dir', 'app', '--file', 'plain.tar.gz'], 2, /^deployctl: give exactly one of --dir PATH, --file FILE\.tar\.gz or --from VERSION \(see 'deployctl push --help'\)$/],
    ['neither --dir nor --file', ['push', 'v1'], 2, /^deployctl: give exactly one of --dir PATH, --file FILE\.tar\.gz or --from VERSION/],
    ['no version', ['push', '--dir', 'app'], 2, /^deployctl: missing <version>/],
    ['two versions', ['push', 'v1', 'v2', '--dir', 'app'], 2, /^deployctl: unexpected argument "v2"/],
    ['an unknown strategy', ['push', 'v1', '--dir', 'app', '--strategy', 'blue-green'], 2, /^deployctl: --strategy must be rolling or service-out, not "blue-green"$/],
    ['a flag that takes no value', ['push', 'v1', '--dir', 'app', '--json=yes'], 2, /^deployctl: option '--json' does not take an argument/],
    ['--dir followed by another option', ['push', 'v1', '--dir', '--wait'], 2, /^deployctl: option --dir needs a value \(write --dir=VALUE/],
    ['--dir given twice', ['push', 'v1', '--dir', 'app', '--dir', 'empty'], 2, /^deployctl: option --dir given more than once/],
  ])('%s', async (_what, args, code, reason) => {
    const run = await runCli([...args, '--store', store], { cwd: work });

    expect(run.code).toBe(code);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(reason)]);
    expect(run.stdout).toBe('');
    expect(await snapshotDir(store)).toEqual({});
  });

  it('refuses a dir with a symlink out of it, naming the link', async () => {
    await writeFile(path.join(work, 'secret.env'), 'TOKEN=1');
    await mkdir(path.join(work, 'app', 'config'));
    await symlink('../../secret.env', path.join(work, 'app', 'config', 'prod.env'));

    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store], { cwd: work });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'deployctl: symlink config/prod.env -> ../../secret.env points outside the app dir; packing follows no links out of the app dir\n',
    );
    expect(await snapshotDir(store)).toEqual({});
  });

  it('with --json, also reports the failure as one JSON object on stdout', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'nowhere', '--store', store, '--json'], { cwd: work });

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ ok: false, code: 'PACK_DIR_MISSING', error: expect.stringMatching(/nowhere does not exist$/) });
    expect(lines(run.stderr)).toHaveLength(1);
  });

  it('prints the stack only when DEPLOYCTL_DEBUG=1', async () => {
    const quiet = await runCli(['push', 'v1', '--dir', 'nowhere', '--store', store], { cwd: work });
    const debug = await runCli(['push', 'v1', '--dir', 'nowhere', '--store', store], { cwd: work, env: { DEPLOYCTL_DEBUG: '1' } });

    expect(lines(quiet.stderr)).toHaveLength(1);
    expect(lines(debug.stderr)[0]).toBe(lines(quiet.stderr)[0]);
    expect(debug.stderr).toMatch(/\n\s+at .*tree-walk/);
  });
});
