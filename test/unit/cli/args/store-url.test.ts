import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

  it('says where a store can come from when there is none', async () => {
    await expect(resolveStoreUrl(undefined, { env: {}, cwd })).rejects.toThrow(
      /^no store: pass --store, set DEPLOYCTL_STORE or write deployctl\.json$/,
    );
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

describe('openCliStore', () => {
  it('opens a relative local path against the working directory', async () => {
    const store = await openCliStore('releases', { env: {}, cwd });
    expect(store).toBeInstanceOf(LocalStore);
    expect((store as LocalStore).root).toBe(path.join(cwd, 'releases'));
  });

  it('passes on the store layer refusal of an unsupported URL', async () => {
    await expect(openCliStore('ftp://host/x', { env: {}, cwd })).rejects.toThrow(/unsupported store URL ftp:\/\/host\/x/);
  });
});
