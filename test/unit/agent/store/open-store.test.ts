import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalStore } from '../../../../agent/store/local-store';
import { openStore } from '../../../../agent/store/open-store';
import type { ReleaseStore } from '../../../../agent/store/release-store';
import { S3Store } from '../../../../agent/store/s3-store';

/** The store openStore gave, as a LocalStore (fails the test if it is another backend). */
function local(store: ReleaseStore): LocalStore {
  expect(store).toBeInstanceOf(LocalStore);
  return store as LocalStore;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('openStore', () => {
  test.each([
    ['/srv/releases', '/srv/releases'],
    ['/srv/releases/', '/srv/releases'],
    ['/srv/a/../releases', '/srv/releases'],
  ])('opens the absolute path %s as a local store at %s', (url, root) => {
    const store = local(openStore(url, '/elsewhere'));
    expect(store.root).toBe(root);
    expect(store.url).toBe(url);
  });

  test.each([
    ['./releases', '/base/dir/releases'],
    ['releases', '/base/dir/releases'],
    ['../shared/releases', '/base/shared/releases'],
    ['.', '/base/dir'],
  ])('resolves the relative path %s against the given cwd', (url, root) => {
    const store = local(openStore(url, '/base/dir'));
    expect(store.root).toBe(root);
    expect(store.url).toBe(url);
  });

  it('resolves a relative path against process.cwd() by default', () => {
    expect(local(openStore('some/releases')).root).toBe(path.resolve(process.cwd(), 'some/releases'));
  });

  test.each([
    ['file:///srv/releases', '/srv/releases'],
    ['file:///srv/my%20releases', '/srv/my releases'],
    ['file://localhost/srv/releases', '/srv/releases'],
  ])('opens the file URL %s as a local store at %s, ignoring cwd', (url, root) => {
    const store = local(openStore(url, '/base/dir'));
    expect(store.root).toBe(root);
    expect(store.url).toBe(url);
  });

  test.each(['', '   ', '\t\n'])('refuses the empty URL %j with STORE_URL_INVALID', (url) => {
    const error = thrown(() => openStore(url));
    expect(error).toMatchObject({ code: 'STORE_URL_INVALID' });
    expect((error as Error).message).toMatch(/empty/);
  });

  test.each(['http://example.com/releases', 'https://example.com/releases', 'gs://bucket/prefix', 'ftp://host/releases'])(
    'refuses the unknown scheme in %s with STORE_URL_INVALID naming the URL',
    (url) => {
      const error = thrown(() => openStore(url, '/base'));
      expect(error).toMatchObject({ code: 'STORE_URL_INVALID' });
      expect((error as Error).message).toContain(url);
    },
  );

  it('does not open an s3:// URL as a local directory', () => {
    expect(openStore('s3://my-bucket/releases', '/base')).not.toBeInstanceOf(LocalStore);
    expect(existsSync('/base/s3:')).toBe(false);
  });

  test.each([
    ['s3://my-bucket/releases', 'my-bucket', 'releases'],
    ['S3://my-bucket/fleets/web/', 'my-bucket', 'fleets/web'],
    ['s3://my-bucket', 'my-bucket', ''],
    ['  s3://my-bucket/releases  ', 'my-bucket', 'releases'],
  ])('opens %j as an S3 store in bucket %s under prefix %j, without any network call', (url, bucket, prefix) => {
    const store = openStore(url, '/base', { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true });
    expect(store).toBeInstanceOf(S3Store);
    expect(store).toMatchObject({ bucket, prefix, url: url.trim() });
  });

  test.each(['s3://', 's3://Upper/releases', 's3://b/releases'])('refuses the S3 URL %s with STORE_URL_INVALID naming it', (url) => {
    const error = thrown(() => openStore(url, '/base'));
    expect(error).toMatchObject({ code: 'STORE_URL_INVALID' });
    expect((error as Error).message).toContain(url);
  });

  describe('on a real directory', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'deployctl-open-store-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('writes through a relative path into the directory under cwd', async () => {
      const store = openStore('./store', dir);
      await store.writeDesired({ version: 'v1', strategy: 'rolling', updatedAt: '2024-05-01T12:00:00.000Z' });
      expect(existsSync(path.join(dir, 'store', 'desired.json'))).toBe(true);
      await expect(store.readDesired()).resolves.toMatchObject({ value: { version: 'v1' } });
    });

    it('reads through a file:// URL what was written through the path', async () => {
      await openStore(dir).writeDesired({ version: 'v7', strategy: 'service-out', updatedAt: '2024-05-01T12:00:00.000Z' });
      const viaUrl = openStore(pathToFileURL(dir).href, '/unrelated');
      await expect(viaUrl.readDesired()).resolves.toMatchObject({ value: { version: 'v7', strategy: 'service-out' } });
    });
  });
});
