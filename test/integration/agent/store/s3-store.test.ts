import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DesiredState, Manifest } from '../../../../agent/store/documents';
import { S3Store } from '../../../../agent/store/s3-store';
import { startS3Server, type S3Server, type SeenRequest } from '../../../support/s3-server';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/**
 * What only the S3 backend does, against a real S3-protocol server on
 * 127.0.0.1 (the shared protocol is in store-protocol.test.ts): conditional
 * polling of desired.json, multipart uploads, retries, outages, If-Match.
 */
const BUCKET = 'fleet-releases';
const PREFIX = 'prod';
const MiB = 1024 * 1024;

const desired = (version: string): DesiredState => ({ version, strategy: 'rolling', updatedAt: '2024-05-01T12:00:00.000Z' });
const manifestOf = (version: string, sha256: string, size: number): Manifest => ({
  version,
  artifact: `releases/${version}.tar.gz`,
  sha256,
  size,
  createdAt: '2024-05-01T12:00:00.000Z',
  createdBy: 's3-store-test',
});

/** `total` random bytes in 1 MiB chunks, hashed as they are made (never all in memory at once). */
function randomStream(total: number, hash: ReturnType<typeof createHash>, beforeChunk?: (offset: number) => Promise<void>): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < total; offset += MiB) {
        await beforeChunk?.(offset);
        const chunk = randomBytes(Math.min(MiB, total - offset));
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
}

async function digestOf(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('S3Store against an S3-protocol server', () => {
  let server: S3Server;
  let raw: S3Client;
  let store: S3Store;
  /** Another client of the same store (the CLI, while `store` plays the agent). */
  let writer: S3Store;

  const calls = (operation: string, key: string): SeenRequest[] =>
    server.requests.filter((r) => r.operation === operation && r.key === `${PREFIX}/${key}`);

  beforeEach(async () => {
    server = await startS3Server();
    await server.bucket(BUCKET);
    raw = new S3Client({ ...server.options, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    store = new S3Store(BUCKET, PREFIX, server.options, `s3://${BUCKET}/${PREFIX}`);
    writer = new S3Store(BUCKET, PREFIX, server.options, `s3://${BUCKET}/${PREFIX}`);
  });
  afterEach(async () => {
    raw.destroy();
    await server.stop();
  });

  describe('polling desired.json', () => {
    it('asks again with If-None-Match and answers a 304 from its cache, without parsing again', async () => {
      await writer.writeDesired(desired('v1'));
      const first = await store.readDesired();
      expect(first?.value.version).toBe('v1');
      server.clearRequests();

      const second = await store.readDesired();

      expect(calls('GetObject', 'desired.json')).toEqual([expect.objectContaining({ ifNoneMatch: first?.etag, status: 304 })]);
      expect(second).toBe(first); // the very object read before: nothing was parsed
    });

    it('returns the new document and etag after a change, then 304s on that one', async () => {
      await writer.writeDesired(desired('v1'));
      const first = await store.readDesired();
      await writer.writeDesired(desired('v2'));
      server.clearRequests();

      const changed = await store.readDesired();
      expect(changed?.value).toEqual(desired('v2'));
      expect(changed?.etag).not.toBe(first?.etag);
      expect(calls('GetObject', 'desired.json').map((r) => r.status)).toEqual([200]);

      await expect(store.readDesired()).resolves.toBe(changed);
      expect(calls('GetObject', 'desired.json').map((r) => r.status)).toEqual([200, 304]);
    });

    it('does not answer from its cache once desired.json became invalid or was deleted', async () => {
      await writer.writeDesired(desired('v1'));
      await store.readDesired();

      await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/desired.json`, Body: '{"version": "v2"' }));
      await expect(store.readDesired()).rejects.toMatchObject({ code: 'STORE_DOCUMENT_INVALID' });
      await expect(store.readDesired()).rejects.toMatchObject({ code: 'STORE_DOCUMENT_INVALID' });

      await raw.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/desired.json` }));
      await expect(store.readDesired()).resolves.toBeUndefined();
    });
  });

  describe('writeDesired with ifMatch', () => {
    it('refuses a stale etag with STORE_CONFLICT and keeps the newer document', async () => {
      await writer.writeDesired(desired('v1'));
      const seen = await store.readDesired();
      await writer.writeDesired(desired('v2'));

      const error = await caught(store.writeDesired(desired('v3'), { ifMatch: seen?.etag }));

      expect(error).toMatchObject({ code: 'STORE_CONFLICT' });
      expect((error as Error).message).toContain(`s3://${BUCKET}/${PREFIX}`);
      expect(calls('PutObject', 'desired.json').at(-1)).toMatchObject({ ifMatch: seen?.etag, status: 412 });
      await expect(store.readDesired()).resolves.toMatchObject({ value: desired('v2') });
    });

    it('writes when the etag is current', async () => {
      await writer.writeDesired(desired('v1'));
      const seen = await store.readDesired();
      await store.writeDesired(desired('v3'), { ifMatch: seen?.etag });
      await expect(writer.readDesired()).resolves.toMatchObject({ value: desired('v3') });
    });

    it('lets exactly one of two writers with the same etag win', async () => {
      await writer.writeDesired(desired('v1'));
      const seen = await store.readDesired();
      const results = await Promise.allSettled([
        store.writeDesired(desired('v2'), { ifMatch: seen?.etag }),
        writer.writeDesired(desired('v3'), { ifMatch: seen?.etag }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toMatchObject({ code: 'STORE_CONFLICT' });
      const winner = results[0]?.status === 'fulfilled' ? 'v2' : 'v3';
      await expect(store.readDesired()).resolves.toMatchObject({ value: { version: winner } });
    });

    it('refuses with STORE_CONFLICT when desired.json was deleted since it was read', async () => {
      await writer.writeDesired(desired('v1'));
      const seen = await store.readDesired();
      await raw.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/desired.json` }));
      await expect(store.writeDesired(desired('v2'), { ifMatch: seen?.etag })).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
      await expect(store.readDesired()).resolves.toBeUndefined();
    });
  });

  describe('multipart artifacts', () => {
    it('uploads a 20 MiB artifact in parts of at most 8 MiB and streams it back byte-identical', async () => {
      const hash = createHash('sha256');
      await store.putArtifact('v1', randomStream(20 * MiB, hash));
      const sent = hash.digest('hex');

      const parts = calls('UploadPart', 'releases/v1.tar.gz');
      expect(parts).toHaveLength(3);
      expect(parts.every((p) => p.status === 200 && (p.bytes ?? Infinity) <= 8 * MiB)).toBe(true);
      expect(parts.reduce((sum, p) => sum + (p.bytes ?? 0), 0)).toBe(20 * MiB);
      expect(calls('CompleteMultipartUpload', 'releases/v1.tar.gz')).toEqual([expect.objectContaining({ ifNoneMatch: '*', status: 200 })]);
      expect(calls('PutObject', 'releases/v1.tar.gz')).toEqual([]);

      const back = await digestOf(await store.openArtifact(manifestOf('v1', sent, 20 * MiB)));
      expect(back).toEqual({ sha256: sent, size: 20 * MiB });
    });

    it('loses a race decided at CompleteMultipartUpload with STORE_VERSION_EXISTS, keeping the winner', async () => {
      let openGate: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        openGate = resolve;
      });
      // Stops after 9 MiB (one part sent) until the other push has written the artifact.
      const body = randomStream(18 * MiB, createHash('sha256'), (offset) => (offset === 9 * MiB ? gate : Promise.resolve()));
      const pushing = caught(store.putArtifact('v1', body));

      await waitUntil(() => calls('UploadPart', 'releases/v1.tar.gz').some((p) => p.status === 200), 10_000, 'the first part of the upload');
      const winner = randomBytes(1000);
      await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/releases/v1.tar.gz`, Body: winner }));
      openGate();

      const error = await withTimeout(pushing, 20_000, 'the losing putArtifact');
      expect(error).toMatchObject({ code: 'STORE_VERSION_EXISTS' });
      expect((error as Error).message).toContain('v1');
      expect(calls('CompleteMultipartUpload', 'releases/v1.tar.gz')).toEqual([expect.objectContaining({ ifNoneMatch: '*', status: 412 })]);
      expect(calls('AbortMultipartUpload', 'releases/v1.tar.gz').map((r) => r.status)).toEqual([204]);
      const back = await digestOf(await store.openArtifact(manifestOf('v1', 'unused', 0)));
      expect(back.sha256).toBe(createHash('sha256').update(winner).digest('hex'));
    });
  });

  describe('failures', () => {
    it('survives the server failing the next 2 requests with 503', async () => {
      await writer.writeDesired(desired('v1'));
      server.clearRequests();
      server.failNext(2, 503);

      await expect(store.readDesired()).resolves.toMatchObject({ value: desired('v1') });
      expect(calls('GetObject', 'desired.json').map((r) => r.status)).toEqual([503, 503, 200]);
    });

    it('survives 3 failed writes (HTTP 500) with its 4 attempts', async () => {
      server.failNext(3, 500);
      await store.writeDesired(desired('v1'));
      expect(calls('PutObject', 'desired.json').map((r) => r.status)).toEqual([500, 500, 500, 200]);
      await expect(writer.readDesired()).resolves.toMatchObject({ value: desired('v1') });
    });

    it('gives up after 4 attempts with STORE_UNAVAILABLE naming the bucket, the key and the answer', async () => {
      server.failNext(4, 503);
      const error = await caught(store.readManifest('v1'));
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect((error as Error).message).toContain(BUCKET);
      expect((error as Error).message).toContain(`${PREFIX}/releases/v1.json`);
      expect((error as Error).message).toContain('503');
      expect((error as Error & { cause?: unknown }).cause).toBeDefined();
      expect(calls('GetObject', 'releases/v1.json').map((r) => r.status)).toEqual([503, 503, 503, 503]);
    });

    it('reports an outage as STORE_UNAVAILABLE naming the bucket, and reads again once the server is back on the same port', async () => {
      await writer.writeDesired(desired('v1'));
      const before = await store.readDesired();
      await server.stop();

      const error = await withTimeout(caught(store.readDesired()), 20_000, 'readDesired during the outage');
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect((error as Error).message).toContain(`bucket ${BUCKET}`);
      expect((error as Error).message).toContain('desired.json');
      await expect(withTimeout(store.listManifests(), 20_000, 'listManifests during the outage')).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });

      await server.start();
      await expect(store.readDesired()).resolves.toEqual(before);
      await expect(new S3Store(BUCKET, PREFIX, server.options).readDesired()).resolves.toMatchObject({ value: desired('v1') });
    });
  });
});
