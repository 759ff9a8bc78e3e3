/**
 * Artifact-level refusals: size, sha256, gzip and tar integrity, and the source failing. Each
 * also checks that nothing was left behind (see expectRefused).
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TYPE, artifactOf, hostileArtifact, rawArtifact, sha256Of, tarOf } from '../../../support/hostile-tar';
import { chunked, expectRefused, makeSandbox, removeSandbox, unpackInto, type Sandbox } from './release-sandbox';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await removeSandbox(sandbox);
});

describe('unpackRelease: the artifact itself', () => {
  test('ARTIFACT_TOO_LARGE: stops reading as soon as the artifact passes the manifest size', async () => {
    const artifact = hostileArtifact([{ path: 'big.bin', body: randomBytes(4 * 1024 * 1024) }]);
    let yielded = 0;
    const source = Readable.from(
      (function* chunks() {
        for (let offset = 0; offset < artifact.bytes.length; offset += 16 * 1024) {
          const chunk = artifact.bytes.subarray(offset, offset + 16 * 1024);
          yielded += chunk.length;
          yield chunk;
        }
      })(),
    );
    const expected = { sha256: artifact.expected.sha256, size: 100 * 1024 };

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { source, expected }), 'ARTIFACT_TOO_LARGE');

    expect(yielded).toBeLessThan(1024 * 1024);
    expect(source.destroyed).toBe(true);
  });

  test('ARTIFACT_TOO_LARGE: refuses up front when the manifest size exceeds limits.maxArtifactBytes', async () => {
    const artifact = hostileArtifact([{ path: 'a', body: randomBytes(4096) }]);
    const source = chunked(artifact.bytes);

    const attempt = unpackInto(sandbox, artifact, { source, limits: { maxArtifactBytes: 1024 } });

    await expect(attempt).rejects.toMatchObject({ code: 'ARTIFACT_TOO_LARGE' });
    expect(source.destroyed).toBe(true);
    expect(await readdir(sandbox.root)).toEqual(['outside']);
  });

  test('ARTIFACT_SIZE_MISMATCH: refuses an artifact shorter than the manifest says', async () => {
    const artifact = hostileArtifact([{ path: 'a', body: 'a' }]);
    const expected = { ...artifact.expected, size: artifact.expected.size + 10 };

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { expected }), 'ARTIFACT_SIZE_MISMATCH');
  });

  test('ARTIFACT_HASH_MISMATCH: refuses an artifact whose sha256 is not the manifest one', async () => {
    const artifact = hostileArtifact([{ path: 'a', body: 'a' }]);
    const expected = { ...artifact.expected, sha256: sha256Of('something else') };

    const error = await expectRefused(sandbox, unpackInto(sandbox, artifact, { expected }), 'ARTIFACT_HASH_MISMATCH');
    expect(error.message).toMatch(/do not deploy it/);
  });

  test('ARTIFACT_CORRUPT: refuses a truncated gzip', async () => {
    const whole = hostileArtifact([{ path: 'a', body: randomBytes(10_000) }]);
    const artifact = rawArtifact(whole.bytes.subarray(0, whole.bytes.length - 100));

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'ARTIFACT_CORRUPT');
  });

  test('ARTIFACT_CORRUPT: refuses a tar that ends inside an entry (truncated tar, valid gzip)', async () => {
    const tar = tarOf([{ path: 'a', body: randomBytes(10_000) }], { endMarker: false });
    const artifact = artifactOf(tar.subarray(0, 4096));

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'ARTIFACT_CORRUPT');
  });

  test('ARTIFACT_CORRUPT: refuses garbage bytes', async () => {
    await expectRefused(sandbox, unpackInto(sandbox, rawArtifact(randomBytes(4096))), 'ARTIFACT_CORRUPT');
  });

  test("ARTIFACT_CORRUPT: refuses gzip'd garbage (not a tar)", async () => {
    await expectRefused(sandbox, unpackInto(sandbox, artifactOf(randomBytes(4096))), 'ARTIFACT_CORRUPT');
  });

  test('ARTIFACT_CORRUPT: refuses an empty tar ("the artifact holds no files")', async () => {
    const error = await expectRefused(sandbox, unpackInto(sandbox, artifactOf(Buffer.alloc(1024))), 'ARTIFACT_CORRUPT');
    expect(error.message).toMatch(/holds no files/);
  });

  test('ARTIFACT_CORRUPT: refuses an empty artifact ("the artifact holds no files")', async () => {
    const error = await expectRefused(sandbox, unpackInto(sandbox, rawArtifact(Buffer.alloc(0))), 'ARTIFACT_CORRUPT');
    expect(error.message).toMatch(/holds no files/);
  });

  test('ARTIFACT_CORRUPT: refuses a tar holding only the ./ root entry', async () => {
    const artifact = hostileArtifact([{ path: './', type: TYPE.dir }]);

    const error = await expectRefused(sandbox, unpackInto(sandbox, artifact), 'ARTIFACT_CORRUPT');
    expect(error.message).toMatch(/holds no files/);
  });

  test('ARTIFACT_CORRUPT: refuses data right after the end-of-archive marker, in the same inflated chunk as the marker', async () => {
    const tar = Buffer.concat([tarOf([{ path: 'a', body: 'a' }]), Buffer.from('smuggled past the end marker\n'), Buffer.alloc(512)]);

    const error = await expectRefused(sandbox, unpackInto(sandbox, artifactOf(tar)), 'ARTIFACT_CORRUPT');
    expect(error.message).toMatch(/after the tar end-of-archive marker/);
  });

  test("accepts zero padding after the end-of-archive marker up to tar's record size", async () => {
    const tar = Buffer.concat([tarOf([{ path: 'a', body: 'a' }]), Buffer.alloc(10 * 1024)]);

    const unpacked = await unpackInto(sandbox, artifactOf(tar));
    expect(unpacked.files).toBe(1);
  });

  test('ARTIFACT_CORRUPT: refuses a doubly gzip\'d artifact instead of inflating it twice', async () => {
    const artifact = rawArtifact(gzipSync(gzipSync(tarOf([{ path: 'a', body: 'a' }]))));

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'ARTIFACT_CORRUPT');
  });

  test('ARTIFACT_READ_FAILED: the source stream failing mid-way', async () => {
    const artifact = hostileArtifact([{ path: 'a', body: randomBytes(100_000) }]);
    const source = Readable.from(
      (function* chunks() {
        yield artifact.bytes.subarray(0, 16 * 1024);
        throw new Error('connection reset');
      })(),
    );

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { source }), 'ARTIFACT_READ_FAILED');
  });
});
