import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DesiredState, Manifest } from '../../../../agent/store/documents';
import type { ReleaseStore } from '../../../../agent/store/release-store';
import { delay } from '../../../support/with-timeout';
import { backends, type Backend } from './store-backends';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function manifestOf(version: string, bytes: Uint8Array, createdAt = '2024-05-01T12:00:00.000Z'): Manifest {
  return { version, artifact: `releases/${version}.tar.gz`, sha256: sha256(bytes), size: bytes.length, createdAt, createdBy: 'store-protocol-test' };
}

const desired = (version: string, strategy: DesiredState['strategy'] = 'rolling'): DesiredState => ({
  version,
  strategy,
  updatedAt: '2024-05-01T12:00:00.000Z',
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** A body that arrives in pieces, slowly, so that two uploads overlap. */
function slowBody(bytes: Buffer, pieces = 5, pauseMs = 20): Readable {
  return Readable.from(
    (async function* () {
      const size = Math.ceil(bytes.length / pieces);
      for (let i = 0; i < bytes.length; i += size) {
        await delay(pauseMs);
        yield bytes.subarray(i, i + size);
      }
    })(),
  );
}

/** Runs `fn` and returns what it threw (undefined if it did not). */
async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The ReleaseStore protocol, run against every backend of store-backends.ts. */
describe.each(backends)('ReleaseStore protocol: %s', (_name, makeBackend) => {
  let backend: Backend;
  let store: ReleaseStore;
  beforeEach(async () => {
    backend = await makeBackend();
    store = backend.store;
  });
  afterEach(() => backend.cleanup());

  /** Puts an artifact with `bytes` and its manifest; returns the manifest. */
  async function pushRelease(version: string, bytes: Buffer, createdAt?: string): Promise<Manifest> {
    const manifest = manifestOf(version, bytes, createdAt);
    await store.putArtifact(version, Readable.from([bytes]));
    await store.putManifest(manifest);
    return manifest;
  }

  describe('desired.json', () => {
    it('is undefined on an empty store', async () => {
      await expect(store.readDesired()).resolves.toBeUndefined();
    });

    it('round-trips through writeDesired and readDesired', async () => {
      const doc: DesiredState = { ...desired('v2', 'service-out'), previous: 'v1' };
      await store.writeDesired(doc);
      const read = await store.readDesired();
      expect(read?.value).toEqual(doc);
      expect(read?.etag).toEqual(expect.any(String));
      expect(read?.etag.length).toBeGreaterThan(0);
    });

    it('changes its etag when the content changes, and keeps it when it does not', async () => {
      await store.writeDesired(desired('v1'));
      const first = await store.readDesired();
      expect(first).toBeDefined();

      const again = await store.readDesired();
      expect(again?.etag).toBe(first?.etag);

      await store.writeDesired(desired('v1'));
      const rewritten = await store.readDesired();
      expect(rewritten?.etag).toBe(first?.etag);

      await store.writeDesired(desired('v2'));
      const changed = await store.readDesired();
      expect(changed?.value.version).toBe('v2');
      expect(changed?.etag).not.toBe(first?.etag);

      await store.writeDesired(desired('v2', 'service-out'));
      const strategyChanged = await store.readDesired();
      expect(strategyChanged?.etag).not.toBe(changed?.etag);
    });

    test.each([
      ['an unknown strategy', 'strategy', { version: 'v1', strategy: 'blue-green', updatedAt: '2024-05-01T12:00:00.000Z' }],
      ['no version', 'version', { strategy: 'rolling', updatedAt: '2024-05-01T12:00:00.000Z' }],
      ['a version that is a path', 'version', { version: '../v1', strategy: 'rolling', updatedAt: '2024-05-01T12:00:00.000Z' }],
      ['an updatedAt that is not ISO', 'updatedAt', { version: 'v1', strategy: 'rolling', updatedAt: 'yesterday' }],
      ['an invalid previous version', 'previous', { version: 'v2', strategy: 'rolling', updatedAt: '2024-05-01T12:00:00.000Z', previous: 'v 1' }],
    ])('a desired.json with %s rejects STORE_DOCUMENT_INVALID naming the document and %s', async (_what, field, doc) => {
      await backend.writeRaw('desired.json', JSON.stringify(doc));
      const error = await caught(() => store.readDesired());
      expect(error).toMatchObject({ code: 'STORE_DOCUMENT_INVALID' });
      expect((error as Error).message).toContain('desired.json');
      expect((error as Error).message).toContain(field);
    });

    it('a desired.json that is not JSON rejects STORE_DOCUMENT_INVALID naming the document', async () => {
      await backend.writeRaw('desired.json', '{"version": "v1", "strat');
      const error = await caught(() => store.readDesired());
      expect(error).toMatchObject({ code: 'STORE_DOCUMENT_INVALID' });
      expect((error as Error).message).toContain('desired.json');
    });
  });

  describe('releases', () => {
    it('round-trips putArtifact, putManifest, readManifest and openArtifact', async () => {
      const bytes = randomBytes(256 * 1024 + 17);
      const manifest = manifestOf('v1', bytes);
      await store.putArtifact('v1', slowBody(bytes, 4, 1));
      await store.putManifest(manifest);

      const read = await store.readManifest('v1');
      expect(read).toEqual(manifest);
      const back = await readAll(await store.openArtifact(read as Manifest));
      expect(back.length).toBe(bytes.length);
      expect(sha256(back)).toBe(manifest.sha256);
      expect(await backend.listKeys()).toEqual(['releases/v1.json', 'releases/v1.tar.gz']);
    });

    it('readManifest of a version that was never pushed is undefined', async () => {
      await expect(store.readManifest('v404')).resolves.toBeUndefined();
      await pushRelease('v1', randomBytes(10));
      await expect(store.readManifest('v404')).resolves.toBeUndefined();
    });

    it('readManifest of a broken manifest rejects STORE_DOCUMENT_INVALID', async () => {
      await backend.writeRaw('releases/v1.json', JSON.stringify({ ...manifestOf('v1', randomBytes(10)), sha256: 'abc' }));
      const error = await caught(() => store.readManifest('v1'));
      expect(error).toMatchObject({ code: 'STORE_DOCUMENT_INVALID' });
      expect((error as Error).message).toContain('sha256');
    });

    it('refuses putArtifact of an existing version with STORE_VERSION_EXISTS and keeps the original bytes', async () => {
      const original = randomBytes(4096);
      const manifest = await pushRelease('v1', original);

      const error = await caught(() => store.putArtifact('v1', Readable.from([randomBytes(4096)])));
      expect(error).toMatchObject({ code: 'STORE_VERSION_EXISTS' });
      expect((error as Error).message).toContain('v1');

      const back = await readAll(await store.openArtifact(manifest));
      expect(sha256(back)).toBe(sha256(original));
      expect(await backend.listKeys()).toEqual(['releases/v1.json', 'releases/v1.tar.gz']);
    });

    it('refuses an existing artifact even before its manifest is written', async () => {
      const original = randomBytes(100);
      await store.putArtifact('v1', Readable.from([original]));
      await expect(store.putArtifact('v1', Readable.from([randomBytes(100)]))).rejects.toMatchObject({ code: 'STORE_VERSION_EXISTS' });
      await store.putManifest(manifestOf('v1', original));
      expect(sha256(await readAll(await store.openArtifact(manifestOf('v1', original))))).toBe(sha256(original));
    });

    it('refuses putManifest twice with STORE_VERSION_EXISTS and keeps the first manifest', async () => {
      const bytes = randomBytes(100);
      const manifest = await pushRelease('v1', bytes);
      const other: Manifest = { ...manifest, createdBy: 'someone else', createdAt: '2025-01-01T00:00:00.000Z' };

      await expect(store.putManifest(other)).rejects.toMatchObject({ code: 'STORE_VERSION_EXISTS' });
      await expect(store.readManifest('v1')).resolves.toEqual(manifest);
      expect(await backend.listKeys()).toEqual(['releases/v1.json', 'releases/v1.tar.gz']);
    });

    it('lets exactly one of two concurrent putArtifact of the same version win, and keeps the winner whole', async () => {
      const bodies = [randomBytes(64 * 1024), randomBytes(64 * 1024)] as const;
      const results = await Promise.allSettled(bodies.map((bytes) => store.putArtifact('v1', slowBody(bytes))));

      const fulfilled = results.map((r, i) => [r, i] as const).filter(([r]) => r.status === 'fulfilled');
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toMatchObject({ code: 'STORE_VERSION_EXISTS' });

      const winner = bodies[fulfilled[0]?.[1] ?? -1] as Buffer;
      const back = await readAll(await store.openArtifact(manifestOf('v1', winner)));
      expect(sha256(back)).toBe(sha256(winner));
      expect(await backend.listKeys()).toEqual(['releases/v1.tar.gz']);
    });

    it('lets exactly one of eight concurrent putManifest of the same version win', async () => {
      const manifests = Array.from({ length: 8 }, (_, i) => ({ ...manifestOf('v1', randomBytes(10)), createdBy: `pusher-${i}` }));
      const results = await Promise.allSettled(manifests.map((m) => store.putManifest(m)));

      const winners = manifests.filter((_, i) => results[i]?.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'STORE_VERSION_EXISTS' });
      await expect(store.readManifest('v1')).resolves.toEqual(winners[0]);
    });

    it('a failed upload leaves no artifact, so the version can be pushed again', async () => {
      const failing = Readable.from(
        (async function* () {
          yield randomBytes(1000);
          await delay(5);
          throw new Error('connection reset by test');
        })(),
      );
      await expect(store.putArtifact('v1', failing)).rejects.toThrow('connection reset by test');
      expect(await backend.listKeys()).toEqual([]);

      const bytes = randomBytes(1000);
      await pushRelease('v1', bytes);
      expect(sha256(await readAll(await store.openArtifact(manifestOf('v1', bytes))))).toBe(sha256(bytes));
    });

    it('openArtifact rejects STORE_NOT_FOUND when the manifest is there but its artifact is missing', async () => {
      const manifest = manifestOf('v1', randomBytes(100));
      await store.putManifest(manifest);
      const error = await caught(() => store.openArtifact(manifest));
      expect(error).toMatchObject({ code: 'STORE_NOT_FOUND' });
      expect((error as Error).message).toContain('v1');
    });
  });

  describe('listManifests', () => {
    it('is empty on an empty store', async () => {
      await expect(store.listManifests()).resolves.toEqual([]);
    });

    it('lists oldest first by createdAt (not by name or push order) and skips broken manifests', async () => {
      const v3 = await pushRelease('v3', randomBytes(10), '2024-01-01T00:00:00.000Z');
      const v1 = await pushRelease('v1', randomBytes(10), '2024-03-01T00:00:00.000Z');
      const v2 = await pushRelease('v2', randomBytes(10), '2024-02-01T00:00:00.000Z');
      await backend.writeRaw('releases/v4.json', '{"version": "v4", "artif');
      await backend.writeRaw('releases/v5.json', JSON.stringify({ ...manifestOf('v5', randomBytes(10)), createdAt: 'last week' }));
      await backend.writeRaw('releases/notes.txt', 'not a manifest');

      await expect(store.listManifests()).resolves.toEqual([v3, v2, v1]);
    });
  });

  describe('deleteRelease', () => {
    it('removes both the manifest and the artifact, and nothing else', async () => {
      const v1 = await pushRelease('v1', randomBytes(100));
      const v2 = await pushRelease('v2', randomBytes(100));
      await store.writeDesired(desired('v2'));

      await store.deleteRelease('v1');

      await expect(store.readManifest('v1')).resolves.toBeUndefined();
      await expect(store.openArtifact(v1)).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
      await expect(store.listManifests()).resolves.toEqual([v2]);
      expect(await backend.listKeys()).toEqual(['desired.json', 'releases/v2.json', 'releases/v2.tar.gz']);
    });

    it('is quiet about a version that is not there', async () => {
      await expect(store.deleteRelease('v404')).resolves.toBeUndefined();
    });
  });

  describe('version names', () => {
    const invalid = ['', '../evil', '..', '.hidden', 'a/b', 'v1 2', 'v1\n', `v${'1'.repeat(128)}`];

    test.each(invalid.map((v) => [JSON.stringify(v), v]))('refuses %s with INVALID_VERSION before any write', async (_shown, version) => {
      await pushRelease('v1', randomBytes(10));
      const before = await backend.listKeys();

      await expect(store.putArtifact(version, Readable.from([Buffer.from('payload')]))).rejects.toMatchObject({ code: 'INVALID_VERSION' });
      await expect(store.readManifest(version)).rejects.toMatchObject({ code: 'INVALID_VERSION' });
      await expect(store.deleteRelease(version)).rejects.toMatchObject({ code: 'INVALID_VERSION' });

      expect(await backend.listKeys()).toEqual(before);
    });

    it('accepts names with letters, digits, dots, dashes and underscores', async () => {
      for (const version of ['v1', '2024.05.01-rc_1', 'A', `v${'1'.repeat(127)}`]) {
        const bytes = randomBytes(10);
        const manifest = await pushRelease(version, bytes);
        await expect(store.readManifest(version)).resolves.toEqual(manifest);
      }
    });
  });
});
