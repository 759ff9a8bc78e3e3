import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveEntry } from '../../../../cli/pack/entry-file';
import { walkTree } from '../../../../cli/pack/tree-walk';

let app: string;

beforeEach(async () => {
  app = await mkdtemp(path.join(os.tmpdir(), 'deployctl-entry-'));
});

afterEach(async () => {
  await rm(app, { recursive: true, force: true });
});

async function put(files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(app, rel)), { recursive: true });
    await writeFile(path.join(app, rel), content);
  }
}

async function entryFor(flag?: string): Promise<string> {
  return resolveEntry(await walkTree(app), flag);
}

describe('resolveEntry', () => {
  it('defaults to server.js', async () => {
    await put({ 'server.js': '' });
    await expect(entryFor()).resolves.toBe('server.js');
  });

  it.each([
    ['./main.js', { 'main.js': '' }, 'main.js'],
    ['src/app', { 'src/app.js': '' }, 'src/app.js'],
    ['lib', { 'lib/index.js': '' }, 'lib/index.js'],
  ])('resolves package.json main %s as Node does', async (main, files, expected) => {
    await put({ ...files, 'package.json': JSON.stringify({ main }), 'server.js': '' });
    await expect(entryFor()).resolves.toBe(expected);
  });

  it('uses server.js when package.json has no main', async () => {
    await put({ 'package.json': '{"name":"x"}', 'server.js': '' });
    await expect(entryFor()).resolves.toBe('server.js');
  });

  it('lets --entry win over package.json', async () => {
    await put({ 'package.json': '{"main":"a.js"}', 'a.js': '', 'b/c.js': '' });
    await expect(entryFor('./b//c.js')).resolves.toBe('b/c.js');
  });

  it('accepts a symlink to a file inside the tree', async () => {
    await put({ 'dist/server.js': '' });
    await symlink('dist/server.js', path.join(app, 'server.js'));
    await expect(entryFor()).resolves.toBe('server.js');
  });

  it.each([
    ['a directory', 'lib', { 'lib/x.js': '' }, /entry file lib \(from --entry\) not found/],
    ['a file under .git', '.git/hooks.js', { '.git/hooks.js': '', 'server.js': '' }, /entry file \.git\/hooks\.js \(from --entry\) not found/],
    ['an absolute path', '/etc/passwd', { 'server.js': '' }, /--entry "\/etc\/passwd" must be a file path inside the app dir/],
  ])('refuses --entry naming %s', async (_what, flag, files, reason) => {
    await put(files);
    await expect(entryFor(flag)).rejects.toThrow(reason);
  });

  it('refuses a package.json that is not JSON or whose main is not a string', async () => {
    await put({ 'package.json': '{', 'server.js': '' });
    await expect(entryFor()).rejects.toThrow(/cannot read .*package\.json/);
    await put({ 'package.json': '{"main": 42}' });
    await expect(entryFor()).rejects.toThrow(/"main" in .*package\.json must be a non-empty string/);
  });
});
