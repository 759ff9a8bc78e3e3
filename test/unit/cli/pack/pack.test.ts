import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { countTree, packDirectory, packTree } from '../../../../cli/pack/pack';
import { walkTree } from '../../../../cli/pack/tree-walk';
import { withTimeout } from '../../../support/with-timeout';
import { listTarStream, type ListedEntry } from '../tar-listing';

let dir: string;
let app: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'deployctl-pack-'));
  app = path.join(dir, 'app');
  await mkdir(app);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, content = `// ${rel}\n`): Promise<void> {
  await mkdir(path.dirname(path.join(app, rel)), { recursive: true });
  await writeFile(path.join(app, rel), content);
}

async function packAndList(root = app): Promise<ListedEntry[]> {
  return withTimeout(listTarStream(await packDirectory(root)), 10_000, 'packing and listing');
}

describe('packDirectory', () => {
  it('lists the same tree in the same sorted order every time, with relative paths and directories', async () => {
    // GIVEN files created out of order
    await put('zeta.js');
    await put('lib/b.js');
    await put('Alpha.js');
    await put('lib/a.js');
    await put('server.js');
    await put('lib/nested/deep.js');

    // WHEN it is packed twice
    const first = await packAndList();
    const second = await packAndList();

    // THEN both listings are identical and sorted depth first by code unit
    expect(second).toEqual(first);
    expect(first.map((e) => e.path)).toEqual([
      'Alpha.js',
      'lib/',
      'lib/a.js',
      'lib/b.js',
      'lib/nested/',
      'lib/nested/deep.js',
      'server.js',
      'zeta.js',
    ]);
    for (const entry of first) {
      expect(path.isAbsolute(entry.path)).toBe(false);
      expect(entry.path.split('/')).not.toContain('..');
    }
    expect(first.find((e) => e.path === 'lib/a.js')).toMatchObject({ type: 'File', size: '// lib/a.js\n'.length });
  });

  it('keeps a symlink that points inside the tree, as a link', async () => {
    await put('lib/a.js');
    await symlink('lib/a.js', path.join(app, 'entry.js'));
    await symlink('../lib', path.join(app, 'lib', 'self-dir'));

    const listing = await packAndList();

    expect(listing).toContainEqual(expect.objectContaining({ path: 'entry.js', type: 'SymbolicLink', linkpath: 'lib/a.js' }));
    expect(listing).toContainEqual(expect.objectContaining({ path: 'lib/self-dir', type: 'SymbolicLink', linkpath: '../lib' }));
  });

  it('refuses a symlink that points outside the tree, naming it', async () => {
    await put('server.js');
    await writeFile(path.join(dir, 'secret.txt'), 'secret');
    await symlink('../../secret.txt', path.join(app, 'lib-link'));

    await expect(packDirectory(app)).rejects.toThrow(/symlink lib-link -> \.\.\/\.\.\/secret\.txt points outside the app dir/);
  });

  it('refuses a symlink with an absolute target, even one inside the tree', async () => {
    await put('server.js');
    await symlink(path.join(app, 'server.js'), path.join(app, 'abs.js'));

    await expect(packDirectory(app)).rejects.toThrow(/symlink abs\.js -> .* has an absolute target/);
  });

  it('refuses a link that escapes through .. taken after another symlink', async () => {
    // `here` -> `.` is harmless, but `here/..` is the parent of the app dir on disk.
    await put('server.js');
    await symlink('.', path.join(app, 'here'));
    await symlink('here/..', path.join(app, 'escape'));

    await expect(packDirectory(app)).rejects.toThrow(/symlink escape -> here\/\.\. resolves to .*outside the app dir/);
  });

  it('keeps empty subdirectories', async () => {
    await put('server.js');
    await mkdir(path.join(app, 'uploads', 'tmp'), { recursive: true });

    const listing = await packAndList();

    expect(listing.filter((e) => e.type === 'Directory').map((e) => e.path)).toEqual(['uploads/', 'uploads/tmp/']);
  });

  it('skips .git directories at any depth', async () => {
    await put('server.js');
    await put('.git/config');
    await put('.git/objects/ab/cdef');
    await put('node_modules/dep/.git/HEAD');
    await put('node_modules/dep/index.js');
    await put('.gitignore');

    const paths = (await packAndList()).map((e) => e.path);

    expect(paths).toEqual(['.gitignore', 'node_modules/', 'node_modules/dep/', 'node_modules/dep/index.js', 'server.js']);
  });

  it('refuses a socket, naming it', async () => {
    await put('server.js');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(app, 'app.sock'), resolve));
    try {
      await expect(packDirectory(app)).rejects.toThrow(/app\.sock in .* is a socket; only files, directories and symlinks can be packed/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a missing directory', async () => {
    await expect(packDirectory(path.join(dir, 'nope'))).rejects.toThrow(/app dir .*nope does not exist/);
  });

  it('fails the stream with a clear error when a file vanishes after the walk', async () => {
    await put('server.js');
    await put('gone.js');
    const listing = await walkTree(app);
    await unlink(path.join(app, 'gone.js'));

    await expect(withTimeout(listTarStream(packTree(listing)), 10_000, 'packing')).rejects.toThrow(/packing .* failed: .*gone\.js/);
  });
});

describe('countTree', () => {
  it('counts regular files and their bytes, not directories, links or .git', async () => {
    await put('server.js', '12345');
    await put('lib/a.js', 'abc');
    await put('.git/HEAD', 'ref: x');
    await mkdir(path.join(app, 'empty'));
    await symlink('server.js', path.join(app, 'main.js'));

    await expect(countTree(app)).resolves.toEqual({ files: 2, bytes: 8 });
  });
});
