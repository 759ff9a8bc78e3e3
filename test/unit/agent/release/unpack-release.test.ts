import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { c as createTar } from 'tar';
import {
  TYPE,
  artifactOf,
  entryBlocks,
  hostileArtifact,
  paxBlocks,
  rawArtifact,
  sha256Of,
} from '../../../support/hostile-tar';
import { UnpackError, defaultUnpackLimits } from '../../../../agent/release/unpack-release';
import {
  VERSION,
  chunked,
  expectRefused,
  makeSandbox,
  removeSandbox,
  unpackInto,
  type Sandbox,
} from './release-sandbox';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await removeSandbox(sandbox);
});

function modeOf(stats: { mode: number }): number {
  return stats.mode & 0o7777;
}

describe('unpackRelease: a normal release', () => {
  test('unpacks nested dirs, a 755 file, an internal relative symlink and an internal hardlink', async () => {
    // GIVEN
    const script = '#!/bin/sh\nexec node ../lib/current/index.js\n';
    const artifact = hostileArtifact([
      { path: 'app/', type: TYPE.dir },
      { path: 'app/lib/v1/', type: TYPE.dir },
      { path: 'app/lib/v1/index.js', body: 'module.exports = 1;\n' },
      { path: 'app/bin/start.sh', body: script, mode: 0o755 },
      { path: 'app/lib/current', type: TYPE.symlink, linkpath: 'v1' },
      { path: 'app/lib/index-copy.js', type: TYPE.hardlink, linkpath: 'app/lib/v1/index.js' },
      { path: 'app/README.md', body: '# app\n', mode: 0o664 },
    ]);

    // WHEN
    const release = await unpackInto(sandbox, artifact);

    // THEN
    const dir = path.join(sandbox.releasesDir, VERSION);
    // 7 entries plus the implicit parents app/lib and app/bin
    expect(release).toEqual({ dir, files: 9, bytes: 20 + script.length + 6, reused: false });
    expect(await readFile(path.join(dir, 'app/lib/v1/index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect(modeOf(await stat(path.join(dir, 'app/bin/start.sh')))).toBe(0o755);
    expect(modeOf(await stat(path.join(dir, 'app/README.md')))).toBe(0o644);
    expect(modeOf(await stat(path.join(dir, 'app/bin')))).toBe(0o755);
    expect(await readlink(path.join(dir, 'app/lib/current'))).toBe('v1');
    expect(await readFile(path.join(dir, 'app/lib/current/index.js'), 'utf8')).toBe('module.exports = 1;\n');
    const original = await stat(path.join(dir, 'app/lib/v1/index.js'));
    const copy = await stat(path.join(dir, 'app/lib/index-copy.js'));
    expect(copy.ino).toBe(original.ino);
    expect(copy.nlink).toBe(2);
    expect(modeOf(await stat(dir))).toBe(0o755);
    expect(await readdir(sandbox.releasesDir)).toEqual([VERSION]);
  });

  test('masks modes: no setuid, setgid, sticky or world-writable bits survive', async () => {
    const artifact = hostileArtifact([
      { path: 'suid', body: 'x', mode: 0o6777 },
      { path: 'sticky-dir/', type: TYPE.dir, mode: 0o1777 },
      { path: 'world-writable', body: 'y', mode: 0o666 },
      { path: 'no-mode', body: 'z', mode: 0 },
    ]);

    const release = await unpackInto(sandbox, artifact);

    expect(modeOf(await stat(path.join(release.dir, 'suid')))).toBe(0o755);
    expect(modeOf(await stat(path.join(release.dir, 'sticky-dir')))).toBe(0o755);
    expect(modeOf(await stat(path.join(release.dir, 'world-writable')))).toBe(0o644);
    expect(modeOf(await stat(path.join(release.dir, 'no-mode')))).toBe(0o644);
  });

  test('unpacks a tarball made by node-tar (./ root entry, pax long and Unicode names)', async () => {
    const source = await mkdtemp(path.join(tmpdir(), 'deployctl-pack-'));
    try {
      const longName = `${'very-long-directory-name/'.repeat(6)}file-with-a-long-name.js`;
      await mkdir(path.join(source, path.dirname(longName)), { recursive: true });
      await writeFile(path.join(source, longName), 'long\n');
      await writeFile(path.join(source, 'caf\u00e9.txt'), 'unicode\n');
      await writeFile(path.join(source, 'package.json'), '{"name":"app"}\n');
      const chunks: Buffer[] = [];
      for await (const chunk of createTar({ gzip: true, cwd: source, portable: true }, ['.'])) {
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      const artifact = rawArtifact(Buffer.concat(chunks));

      const release = await unpackInto(sandbox, artifact);

      expect(await readFile(path.join(release.dir, longName), 'utf8')).toBe('long\n');
      expect(await readFile(path.join(release.dir, 'caf\u00e9.txt'), 'utf8')).toBe('unicode\n');
      expect(await readFile(path.join(release.dir, 'package.json'), 'utf8')).toBe('{"name":"app"}\n');
    } finally {
      await rm(source, { recursive: true, force: true });
    }
  });

  test('accepts pax global and per-file headers and GNU long names', async () => {
    const paxName = `${'pax-segment/'.repeat(10)}pax.txt`;
    const gnuName = `${'gnu-segment/'.repeat(10)}gnu.txt`;
    const tar = Buffer.concat([
      ...paxBlocks({ comment: 'built by ci' }, 'g'),
      ...entryBlocks({ path: paxName, body: 'pax\n' }),
      ...entryBlocks({ path: '././@LongLink', type: 'L', body: `${gnuName}\0` }),
      ...entryBlocks({ path: gnuName.slice(0, 99), body: 'gnu\n' }),
      Buffer.alloc(1024),
    ]);

    const release = await unpackInto(sandbox, artifactOf(tar));

    expect(await readFile(path.join(release.dir, paxName), 'utf8')).toBe('pax\n');
    expect(await readFile(path.join(release.dir, gnuName), 'utf8')).toBe('gnu\n');
  });

  test('streams a 20 MB random file through in 64 KiB chunks', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const artifact = hostileArtifact([{ path: 'big.bin', body: data }]);

    const release = await unpackInto(sandbox, artifact, { source: chunked(artifact.bytes, 64 * 1024) });

    expect(release.bytes).toBe(data.length);
    const onDisk = await readFile(path.join(release.dir, 'big.bin'));
    expect(onDisk.length).toBe(data.length);
    expect(sha256Of(onDisk)).toBe(sha256Of(data));
  });

  test('reports progress: growing byte counts ending at the artifact size', async () => {
    const artifact = hostileArtifact([{ path: 'data.bin', body: randomBytes(200 * 1024) }]);
    const seen: number[] = [];

    await unpackInto(sandbox, artifact, { onProgress: (bytesRead) => seen.push(bytesRead) });

    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[seen.length - 1]).toBe(artifact.expected.size);
  });
});

describe('unpackRelease: an existing release', () => {
  test('reuses an existing complete release dir without reading the source', async () => {
    const dir = path.join(sandbox.releasesDir, VERSION);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'server.js'), 'old');
    const source = chunked(randomBytes(1024));

    const release = await unpackInto(sandbox, rawArtifact(randomBytes(1024)), { source });

    expect(release).toEqual({ dir, files: 1, bytes: 3, reused: true });
    expect(await readFile(path.join(dir, 'server.js'), 'utf8')).toBe('old');
    expect(source.destroyed).toBe(true);
    expect(await readdir(sandbox.releasesDir)).toEqual([VERSION]);
  });

  test('returns the release another unpack published first, and removes its own temp dir', async () => {
    const artifact = hostileArtifact([{ path: 'server.js', body: 'new' }]);
    const dir = path.join(sandbox.releasesDir, VERSION);
    let raced = false;

    const release = await unpackInto(sandbox, artifact, {
      onProgress: () => {
        if (raced) return;
        raced = true;
        mkdirSync(dir);
        writeFileSync(path.join(dir, 'server.js'), 'winner');
      },
    });

    expect(release).toEqual({ dir, files: 1, bytes: 6, reused: true });
    expect(await readFile(path.join(dir, 'server.js'), 'utf8')).toBe('winner');
    expect(await readdir(sandbox.releasesDir)).toEqual([VERSION]);
  });

  test('refuses a releasesDir/<version> that is not a directory', async () => {
    await mkdir(sandbox.releasesDir);
    await writeFile(path.join(sandbox.releasesDir, VERSION), 'not a dir');

    await expect(unpackInto(sandbox, hostileArtifact([{ path: 'a', body: 'a' }]))).rejects.toMatchObject({
      code: 'UNPACK_IO_FAILED',
    });
  });
});

describe('unpackRelease: options', () => {
  test.each([['../x'], ['.hidden'], [''], ['a/b'], ['v1\0']])('INVALID_VERSION: refuses version %j', async (version) => {
    const artifact = hostileArtifact([{ path: 'a' }]);
    const source = chunked(artifact.bytes);

    await expect(unpackInto(sandbox, artifact, { version, source })).rejects.toMatchObject({ code: 'INVALID_VERSION' });

    expect(source.destroyed).toBe(true);
    expect(await readdir(sandbox.root)).toEqual(['outside']);
  });

  test('UNPACK_INVALID_OPTIONS: refuses a sha256 that is not 64 hex digits and a non-positive limit', async () => {
    const artifact = hostileArtifact([{ path: 'a' }]);
    await expect(unpackInto(sandbox, artifact, { expected: { sha256: 'abc', size: 1 } })).rejects.toMatchObject({
      code: 'UNPACK_INVALID_OPTIONS',
    });
    await expect(unpackInto(sandbox, artifact, { limits: { maxFiles: 0 } })).rejects.toMatchObject({
      code: 'UNPACK_INVALID_OPTIONS',
    });
  });

  test('pins the documented default limits', () => {
    expect(defaultUnpackLimits).toEqual({
      maxArtifactBytes: 1024 ** 3,
      maxUnpackedBytes: 4 * 1024 ** 3,
      maxFiles: 200_000,
      maxDepth: 64,
    });
  });

  test('UnpackError is a DeployError with a stable code, the entry at fault and advice', async () => {
    const error = await expectRefused(
      sandbox,
      unpackInto(sandbox, hostileArtifact([{ path: '../evil', body: 'x' }])),
      'UNPACK_PARENT_PATH',
      '../evil',
    );
    expect(error).toBeInstanceOf(UnpackError);
    expect(error.name).toBe('UnpackError');
    expect(error.message).toMatch(/\.\.\/evil/);
    expect(error.message).toMatch(/rebuild it/);
  });
});
