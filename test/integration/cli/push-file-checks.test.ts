import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { c as createTar } from 'tar';
import { manifestSchema } from '../../../agent/store/documents';
import { lines, readJson, runCli, writeTree } from '../../support/cli-harness';

/** `deployctl push --file`: the archive is checked for its entry file as --dir is, before the store sees a byte. */
let work: string;
let store: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-push-file-'));
  store = path.join(work, 'store');
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `tar czf <name> <paths>` run in `cwd`, with node-tar. */
async function tarball(name: string, cwd: string, paths: string[]): Promise<string> {
  const file = path.join(work, name);
  await createTar({ file, gzip: true, cwd, portable: true }, paths);
  return file;
}

describe('deployctl push --file', () => {
  it('refuses an archive of the app folder itself (tar czf app.tgz myapp), naming the folder and how to pack it', async () => {
    await writeTree(path.join(work, 'myapp'), { 'server.js': 'require("http").createServer().listen(process.env.PORT);\n', 'lib/a.js': '1;\n' });
    await tarball('app.tgz', work, ['myapp']);

    const run = await runCli(['push', 'v1', '--file', 'app.tgz', '--store', store, '--json'], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([
      `deployctl: entry file server.js not found in ${path.join(work, 'app.tgz')}: every file in it sits under one top-level folder, myapp/ ` +
        `(myapp/server.js is there). Archive the folder's contents, not the folder: tar czf app.tgz -C myapp . (or extract and repack with tar --strip-components 1)`,
    ]);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'ENTRY_MISSING' });
    expect(existsSync(store)).toBe(false);
  });

  it('names the folder for an --entry too', async () => {
    await writeTree(path.join(work, 'build'), { 'index.js': '1;\n' });
    await tarball('app.tgz', work, ['build']);

    const run = await runCli(['push', 'v1', '--file', 'app.tgz', '--store', store, '--entry', 'index.js'], { cwd: work });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^deployctl: entry file index\.js \(from --entry\) not found in .*app\.tgz: every file in it sits under one top-level folder, build\/ \(build\/index\.js is there\)/);
  });

  it('refuses an archive with no server.js, no --entry and no package.json main, as --dir does', async () => {
    await writeTree(path.join(work, 'app'), { 'index.js': '1;\n', 'lib/a.js': '1;\n' });
    await tarball('app.tgz', path.join(work, 'app'), ['index.js', 'lib']);

    const run = await runCli(['push', 'v1', '--file', 'app.tgz', '--store', store], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([`deployctl: entry file server.js not found in ${path.join(work, 'app.tgz')}: add it, pass --entry FILE or set "main" in package.json`]);
  });

  it('finds the entry from package.json "main" in the archive (./-prefixed paths too) and records it in the manifest', async () => {
    await writeTree(path.join(work, 'app'), { 'package.json': '{"name":"app","main":"dist/main"}', 'dist/main.js': '1;\n' });
    await tarball('app.tgz', path.join(work, 'app'), ['.']);

    const run = await runCli(['push', 'v1', '--file', 'app.tgz', '--store', store], { cwd: work });

    expect(run.code).toBe(0);
    expect(manifestSchema.parse(await readJson(path.join(store, 'releases', 'v1.json'))).entry).toBe('dist/main.js');
  });

  it('records server.js as the entry of an archive that holds it at the top', async () => {
    await writeTree(path.join(work, 'app'), { 'server.js': '1;\n' });
    await tarball('app.tgz', path.join(work, 'app'), ['server.js']);

    const run = await runCli(['push', 'v1', '--file', 'app.tgz', '--store', store], { cwd: work });

    expect(run.code).toBe(0);
    expect(manifestSchema.parse(await readJson(path.join(store, 'releases', 'v1.json'))).entry).toBe('server.js');
  });
});
