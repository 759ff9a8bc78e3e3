import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStore } from '../../../../agent/store/local-store';
import { openCliStore, resolveStoreUrl } from '../../../../cli/args/store-url';

let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'deployctl-store-url-'));
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('resolveStoreUrl', () => {
  it('takes --store first, then DEPLOYCTL_STORE, then deployctl.json', async () => {
    await writeFile(path.join(cwd, 'deployctl.json'), '{"store":"from-file"}');
    const env = { DEPLOYCTL_STORE: 'from-env' };

    await expect(resolveStoreUrl('from-flag', { env, cwd })).resolves.toEqual({ url: 'from-flag', source: '--store' });
    await expect(resolveStoreUrl(undefined, { env, cwd })).resolves.toEqual({ url: 'from-env', source: 'DEPLOYCTL_STORE' });
    await expect(resolveStoreUrl(undefined, { env: { DEPLOYCTL_STORE: ' ' }, cwd })).resolves.toEqual({
      url: 'from-file',
      source: path.join(cwd, 'deployctl.json'),
    });
  });

  it('says where a store can come from when there is none, as a bad argument', async () => {
    await expect(resolveStoreUrl(undefined, { env: {}, cwd })).rejects.toMatchObject({
      name: 'UsageError',
      code: 'STORE_URL_MISSING',
      message: 'no store: pass --store, set DEPLOYCTL_STORE or write deployctl.json',
    });
  });

  it.each([
    ['not JSON', '{store:', /deployctl\.json is not valid JSON/],
    ['no store key', '{"bucket":"x"}', /deployctl\.json must be an object with "store"/],
    ['an empty store', '{"store":""}', /deployctl\.json must be an object with "store"/],
  ])('refuses a deployctl.json that is %s', async (_what, text, reason) => {
    await writeFile(path.join(cwd, 'deployctl.json'), text);
    await expect(resolveStoreUrl(undefined, { env: {}, cwd })).rejects.toThrow(reason);
  });
});

function ioIn(dir: string): { env: Record<string, string>; cwd: string } {
  return { env: {}, cwd: dir };
}

describe('openCliStore', () => {
  it('opens a relative local path against the working directory', async () => {
    await mkdir(path.join(cwd, 'releases'));
    const store = await openCliStore('releases', ioIn(cwd));
    expect(store).toBeInstanceOf(LocalStore);
    expect((store as LocalStore).root).toBe(path.join(cwd, 'releases'));
  });

  it('refuses an unsupported URL as a bad argument (exit 2), keeping the store code and naming where it came from', async () => {
    await expect(openCliStore('ftp://host/x', ioIn(cwd))).rejects.toMatchObject({
      name: 'UsageError',
      code: 'STORE_URL_INVALID',
      message: expect.stringMatching(/unsupported store URL ftp:\/\/host\/x.*\(from --store\)/),
    });
  });

  it('refuses a local store directory that does not exist, naming it, and creates nothing', async () => {
    await expect(openCliStore('relaeses', ioIn(cwd))).rejects.toMatchObject({
      code: 'STORE_DIR_MISSING',
      message: `the store directory ${path.join(cwd, 'relaeses')} does not exist (relaeses from --store): check the path; 'deployctl push' creates a new store`,
    });
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses a store path that is a file', async () => {
    await writeFile(path.join(cwd, 'store'), 'x');
    await expect(openCliStore(path.join(cwd, 'store'), ioIn(cwd))).rejects.toMatchObject({ code: 'STORE_DIR_MISSING', message: expect.stringMatching(/is not a directory/) });
  });

  it('lets push open a new store directory, telling it the store is new, without creating it before the first write', async () => {
    const created: string[] = [];
    const store = await openCliStore('new-store', ioIn(cwd), { missingDir: 'create', onNewStore: (dir) => created.push(dir) });
    expect((store as LocalStore).root).toBe(path.join(cwd, 'new-store'));
    expect(created).toEqual([path.join(cwd, 'new-store')]);
    expect(await readdir(cwd)).toEqual([]);
  });
});
