/**
 * unpackRelease with its writer threads busy: entries are checked on the main thread and created
 * by several threads while the artifact is still being read. A failure or a refusal in the
 * middle must still leave nothing behind, and what succeeds must be exactly the tarball.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { TYPE, hostileArtifact, sha256Of, type HostileEntry } from '../../../support/hostile-tar';
import { chunked, expectRefused, makeSandbox, removeSandbox, unpackInto, type Sandbox } from './release-sandbox';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await removeSandbox(sandbox);
});

const THREADS = { initial: 3, max: 3 } as const;

/** `packages` node_modules-like subtrees of `files` incompressible files each (so the artifact streams in many chunks). */
function packageEntries(packages: number, files: number, bytes = 2048): HostileEntry[] {
  const entries: HostileEntry[] = [];
  for (let p = 0; p < packages; p++) {
    for (let f = 0; f < files; f++) {
      entries.push({ path: `node_modules/pkg-${p}/lib/sub-${f % 3}/file-${f}.js`, body: randomBytes(bytes), mode: f % 5 === 0 ? 0o755 : 0o644 });
    }
  }
  return entries;
}

describe('unpackRelease with several writer threads', () => {
  test('unpacks many subtrees, a file larger than a batch, and links across subtrees exactly', async () => {
    const big = randomBytes(1024 * 1024 + 123);
    const entries: HostileEntry[] = [
      ...packageEntries(12, 20),
      { path: 'node_modules/pkg-3/dist/bundle.js', body: big },
      { path: 'node_modules/pkg-7/alias.js', type: TYPE.hardlink, linkpath: 'node_modules/pkg-0/lib/sub-0/file-0.js' },
      { path: 'node_modules/pkg-9/alias-of-alias.js', type: TYPE.hardlink, linkpath: 'node_modules/pkg-7/alias.js' },
      { path: 'node_modules/pkg-11/bin', type: TYPE.symlink, linkpath: '../pkg-3/dist' },
      { path: 'empty.txt', body: '' },
    ];
    const artifact = hostileArtifact(entries);

    const release = await unpackInto(sandbox, artifact, { writerThreads: THREADS });

    for (const entry of entries) {
      if (entry.type !== undefined) continue;
      const onDisk = path.join(release.dir, entry.path);
      expect(sha256Of(await readFile(onDisk))).toBe(sha256Of(entry.body ?? ''));
      expect((await stat(onDisk)).mode & 0o777).toBe(entry.mode === 0o755 ? 0o755 : 0o644);
    }
    const original = await stat(path.join(release.dir, 'node_modules/pkg-0/lib/sub-0/file-0.js'));
    expect((await stat(path.join(release.dir, 'node_modules/pkg-7/alias.js'))).ino).toBe(original.ino);
    expect((await stat(path.join(release.dir, 'node_modules/pkg-9/alias-of-alias.js'))).ino).toBe(original.ino);
    expect(await readlink(path.join(release.dir, 'node_modules/pkg-11/bin'))).toBe('../pkg-3/dist');
    expect(release.bytes).toBe(entries.reduce((sum, e) => sum + (e.type === undefined ? Buffer.byteLength(e.body ?? '') : 0), 0));
    expect(readdirSync(sandbox.releasesDir)).toEqual(['v1']);
  });

  test('keeps every entry in tar order while the writers are behind: empty files and dirs between big files', async () => {
    // GIVEN more file data than the writers may have in flight, with entries that carry no data
    // (which the parser hands over without waiting) between the files
    const entries: HostileEntry[] = [];
    for (let i = 0; i < 120; i++) {
      entries.push({ path: `d${i}/`, type: TYPE.dir });
      entries.push({ path: `d${i}/empty-${i}.txt`, body: '' });
      entries.push({ path: `d${i}/data-${i}.bin`, body: randomBytes(96 * 1024) });
      entries.push({ path: `d${i}/link-${i}`, type: TYPE.symlink, linkpath: `data-${i}.bin` });
    }
    const artifact = hostileArtifact(entries);

    // WHEN one writer thread does all the writing
    const release = await unpackInto(sandbox, artifact, { writerThreads: { initial: 1, max: 1 } });

    // THEN each file has its own content
    for (const entry of entries) {
      if (entry.type !== undefined) continue;
      expect(sha256Of(await readFile(path.join(release.dir, entry.path)))).toBe(sha256Of(entry.body ?? ''));
    }
    expect(release.files).toBe(entries.length);
  });

  test('a write failure in the middle leaves no release dir and no temp dir', async () => {
    // GIVEN an artifact whose last subtree collides with a directory that appears in the temp
    // dir while the unpack runs (made as soon as the first bytes were read)
    const artifact = hostileArtifact([...packageEntries(10, 30), { path: 'zz-late/server.js', body: 'late' }]);
    let planted = false;
    const plant = (): void => {
      if (planted) return;
      const temp = readdirSync(sandbox.releasesDir).find((name) => name.startsWith('.unpack-'));
      if (temp === undefined) return;
      mkdirSync(path.join(sandbox.releasesDir, temp, 'zz-late'));
      planted = true;
    };

    // WHEN it is unpacked by several threads
    const error = await expectRefused(
      sandbox,
      unpackInto(sandbox, artifact, { writerThreads: THREADS, onProgress: plant, source: chunked(artifact.bytes, 4096) }),
      'UNPACK_IO_FAILED',
    );

    // THEN the writer's mkdir failed, and it says so
    expect(planted).toBe(true);
    expect(error.message).toMatch(/could not write an entry: EEXIST.*zz-late/);
  });

  test('limits.maxFiles stops an unpack whose earlier entries are still being written', async () => {
    const artifact = hostileArtifact(packageEntries(8, 40));

    await expectRefused(
      sandbox,
      unpackInto(sandbox, artifact, { writerThreads: THREADS, limits: { maxFiles: 200 }, source: chunked(artifact.bytes, 4096) }),
      'UNPACK_TOO_MANY_FILES',
    );
  });

  test('limits.maxUnpackedBytes stops an unpack whose earlier entries are still being written', async () => {
    const artifact = hostileArtifact(packageEntries(8, 40, 4096));

    await expectRefused(
      sandbox,
      unpackInto(sandbox, artifact, { writerThreads: THREADS, limits: { maxUnpackedBytes: 600 * 1024 }, source: chunked(artifact.bytes, 4096) }),
      'UNPACK_TOO_LARGE',
    );
  });

  test('an unsafe entry after hundreds of written ones is refused and everything is removed', async () => {
    const artifact = hostileArtifact([...packageEntries(6, 40), { path: 'node_modules/pkg-2/lib', type: TYPE.symlink, linkpath: '../../../outside' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { writerThreads: THREADS }), 'UNPACK_NAME_COLLISION', 'node_modules/pkg-2/lib');
  });

  test('UNPACK_INVALID_OPTIONS: refuses writer thread counts outside 1-64', async () => {
    const artifact = hostileArtifact([{ path: 'a', body: 'a' }]);

    await expect(unpackInto(sandbox, artifact, { writerThreads: { max: 0 } })).rejects.toMatchObject({ code: 'UNPACK_INVALID_OPTIONS' });
    await expect(unpackInto(sandbox, artifact, { writerThreads: { initial: 1.5 } })).rejects.toMatchObject({ code: 'UNPACK_INVALID_OPTIONS' });
    expect(readdirSync(sandbox.root)).toEqual(['outside']);
  });
});
