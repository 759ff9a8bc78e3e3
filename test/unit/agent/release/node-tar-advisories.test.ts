/**
 * One regression test per node-tar advisory class, each building its exploit tarball in memory
 * with its real size and sha256, so the refusal comes from the entry and not the hash.
 * `expectRefused` then checks the code and that nothing appeared or changed outside the release.
 */
import { gzipSync } from 'node:zlib';
import { TYPE, artifactOf, entryBlocks, hostileArtifact, paxBlocks, rawArtifact, tarOf } from '../../../support/hostile-tar';
import { expectRefused, makeSandbox, removeSandbox, unpackInto, type Sandbox } from './release-sandbox';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await removeSandbox(sandbox);
});

describe('2018-2024 node-tar advisories', () => {
  test('CVE-2018-20834: refuses a hardlink pointing outside the release dir (then overwriting through it)', async () => {
    const artifact = hostileArtifact([
      { path: 'pwn', type: TYPE.hardlink, linkpath: sandbox.secret },
      { path: 'pwn', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'pwn');
  });

  test('CVE-2021-32803: refuses a symlink replacing an extracted directory (dir a, symlink a -> /outside, file a/x)', async () => {
    const artifact = hostileArtifact([
      { path: 'a/', type: TYPE.dir },
      { path: 'a', type: TYPE.symlink, linkpath: sandbox.outside },
      { path: 'a/x', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', 'a');
  });

  test('CVE-2021-32803: refuses a file whose path passes through a symlink extracted earlier', async () => {
    const artifact = hostileArtifact([
      { path: 'inside/', type: TYPE.dir },
      { path: 'a', type: TYPE.symlink, linkpath: 'inside' },
      { path: 'a/x', body: 'through the symlink\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'a/x');
  });

  test('CVE-2021-32804: refuses an absolute path with repeated roots (////outside/pwn)', async () => {
    const target = `///${sandbox.outside}/pwn`;
    const artifact = hostileArtifact([{ path: target, body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_ABSOLUTE_PATH', target);
  });

  test("CVE-2021-32804: refuses a rooted path that climbs with '..' (/../x)", async () => {
    const artifact = hostileArtifact([{ path: '/../x', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_PARENT_PATH', '/../x');
  });

  test('CVE-2021-37701: refuses a symlink aliasing a directory through a backslash separator (a/b vs a\\b)', async () => {
    const artifact = hostileArtifact([
      { path: 'a/b/', type: TYPE.dir },
      { path: 'a\\b', type: TYPE.symlink, linkpath: '../elsewhere' },
      { path: 'a/b/x', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', 'a\\b');
  });

  test('CVE-2021-37701: refuses a symlink named like a directory with a trailing backslash (foo vs foo\\)', async () => {
    const artifact = hostileArtifact([
      { path: 'foo/', type: TYPE.dir },
      { path: 'foo\\', type: TYPE.symlink, linkpath: 'bar' },
      { path: 'foo/x', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', 'foo\\');
  });

  test('CVE-2021-37712: refuses a Unicode normalisation collision (dir e\\u0301, symlink \\u00e9)', async () => {
    const artifact = hostileArtifact([
      { path: 'e\u0301/', type: TYPE.dir },
      { path: '\u00e9', type: TYPE.symlink, linkpath: 'elsewhere' },
      { path: 'e\u0301/x', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', '\u00e9');
  });

  test('CVE-2021-37712: refuses a case-folding collision (dir FOO, symlink foo)', async () => {
    const artifact = hostileArtifact([
      { path: 'FOO/', type: TYPE.dir },
      { path: 'foo', type: TYPE.symlink, linkpath: 'elsewhere' },
      { path: 'FOO/x', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', 'foo');
  });

  test('CVE-2021-37713: refuses a Windows drive-relative path (C:../x)', async () => {
    const artifact = hostileArtifact([{ path: 'C:../x', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_PARENT_PATH', 'C:../x');
  });

  test('CVE-2021-37713: refuses a Windows drive path climbing with backslashes (c:\\..\\x)', async () => {
    const artifact = hostileArtifact([{ path: 'c:\\..\\x', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_PARENT_PATH', 'c:\\..\\x');
  });

  test('CVE-2021-37713: refuses a UNC path (\\\\server\\share\\x)', async () => {
    const artifact = hostileArtifact([{ path: '\\\\server\\share\\x', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_ABSOLUTE_PATH');
  });

  test('CVE-2024-28863: refuses a path 100 000 directories deep (DoS by depth)', async () => {
    const deep = `${'a/'.repeat(100_000)}x`;
    const artifact = hostileArtifact([{ path: deep, body: 'deep\n' }]);

    const error = await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_TOO_DEEP');
    expect(error.message).toMatch(/100001 segments deep/);
  });

  test('CVE-2024-28863: refuses a path one level deeper than limits.maxDepth', async () => {
    const artifact = hostileArtifact([
      { path: `${'d/'.repeat(4)}ok`, body: 'fits\n' },
      { path: `${'d/'.repeat(5)}too-deep`, body: 'x\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { limits: { maxDepth: 5 } }), 'UNPACK_TOO_DEEP');
  });
});

describe('2026 node-tar advisories', () => {
  test('CVE-2026-23745: refuses a hardlink with an absolute linkpath (arbitrary file overwrite)', async () => {
    const artifact = hostileArtifact([
      { path: 'config.json', type: TYPE.hardlink, linkpath: sandbox.secret },
      { path: 'config.json', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'config.json');
  });

  test('CVE-2026-23745: refuses a symlink with an absolute target (symlink poisoning)', async () => {
    const artifact = hostileArtifact([
      { path: 'passwd', type: TYPE.symlink, linkpath: sandbox.secret },
      { path: 'passwd', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'passwd');
  });

  test("CVE-2026-24842: refuses a hardlink whose '..' target is inside from the entry's dir but outside from the release root", async () => {
    // From a/b/ the target is <release>/outside/secret.txt; hardlinks resolve from the root: ../../outside/secret.txt.
    const artifact = hostileArtifact([
      { path: 'a/b/', type: TYPE.dir },
      { path: 'a/b/l', type: TYPE.hardlink, linkpath: sandbox.secretFromRelease },
      { path: 'a/b/l', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'a/b/l');
  });

  test('CVE-2026-26960: refuses a hardlink target escaping through a chain of symlinks (up -> ../.., escape -> c/up/../..)', async () => {
    const artifact = hostileArtifact([
      { path: 'a/b/c/', type: TYPE.dir },
      { path: 'a/b/c/up', type: TYPE.symlink, linkpath: '../..' },
      { path: 'a/b/escape', type: TYPE.symlink, linkpath: 'c/up/../..' },
      { path: 'exfil', type: TYPE.hardlink, linkpath: 'a/b/escape/../outside/secret.txt' },
      { path: 'exfil', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'a/b/escape');
  });

  test('CVE-2026-26960: refuses a hardlink whose target passes through a symlink, even one pointing inside', async () => {
    const artifact = hostileArtifact([
      { path: 'real/file', body: 'data\n' },
      { path: 'via', type: TYPE.symlink, linkpath: 'real' },
      { path: 'exfil', type: TYPE.hardlink, linkpath: 'via/file' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'exfil');
  });

  test('CVE-2026-29786: refuses a hardlink with a drive-relative linkpath (C:../../outside/secret.txt)', async () => {
    const artifact = hostileArtifact([
      { path: 'l', type: TYPE.hardlink, linkpath: `C:${sandbox.secretFromRelease}` },
      { path: 'l', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'l');
  });

  test('CVE-2026-31802: refuses a symlink with a drive-relative target (C:../../outside/secret.txt)', async () => {
    const artifact = hostileArtifact([
      { path: 'l', type: TYPE.symlink, linkpath: `C:${sandbox.secretFromRelease}` },
      { path: 'l', body: 'PWNED\n' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'l');
  });

  test('CVE-2026-59873: refuses an entry claiming more bytes than limits.maxUnpackedBytes before inflating it (gzip bomb)', async () => {
    const bomb = Buffer.alloc(64 * 1024 * 1024);
    const artifact = hostileArtifact([{ path: 'bomb.bin', body: bomb }]);
    expect(artifact.bytes.length).toBeLessThan(bomb.length / 500);

    await expectRefused(
      sandbox,
      unpackInto(sandbox, artifact, { limits: { maxUnpackedBytes: 1024 * 1024 } }),
      'UNPACK_TOO_LARGE',
      'bomb.bin',
    );
  });

  test('CVE-2026-59873: refuses a gzip bomb of padding after the end-of-archive marker', async () => {
    const tar = Buffer.concat([tarOf([{ path: 'a', body: 'a' }]), Buffer.alloc(32 * 1024 * 1024)]);
    const artifact = artifactOf(tar);

    const error = await expectRefused(sandbox, unpackInto(sandbox, artifact), 'ARTIFACT_CORRUPT');
    expect(error.message).toMatch(/after the tar end-of-archive marker/);
  });

  test('CVE-2026-59873: refuses a gzip bomb of pax headers that never reaches an entry', async () => {
    const pax = Buffer.concat(paxBlocks({ comment: 'x'.repeat(400) }));
    const tar = Buffer.concat([...Array.from({ length: 4096 }, () => pax), ...entryBlocks({ path: 'a', body: 'a' })]);
    const artifact = rawArtifact(gzipSync(tar));

    await expectRefused(
      sandbox,
      unpackInto(sandbox, artifact, { limits: { maxUnpackedBytes: 64 * 1024, maxFiles: 4 } }),
      'UNPACK_TOO_LARGE',
    );
  });

  test('CVE-2026-59873: refuses a pax header bigger than 1 MiB instead of buffering it', async () => {
    const tar = Buffer.concat([
      ...paxBlocks({ comment: 'x'.repeat(2 * 1024 * 1024) }),
      ...entryBlocks({ path: 'a', body: 'a' }),
      Buffer.alloc(1024),
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifactOf(tar)), 'ARTIFACT_CORRUPT');
  });
});
