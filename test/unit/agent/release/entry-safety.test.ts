/**
 * Hostile entries beyond the node-tar advisories: types we never write, limits, collisions and
 * link tricks. Each builds its tarball in memory with its real size and sha256.
 */
import { TYPE, hostileArtifact } from '../../../support/hostile-tar';
import { expectRefused, makeSandbox, removeSandbox, unpackInto, type Sandbox } from './release-sandbox';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(async () => {
  await removeSandbox(sandbox);
});

describe('unsupported entry types', () => {
  test('refuses a character device entry', async () => {
    const artifact = hostileArtifact([
      { path: 'ok.txt', body: 'fine\n' },
      { path: 'dev/null', type: TYPE.charDevice },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSUPPORTED_ENTRY', 'dev/null');
  });

  test('refuses a block device entry', async () => {
    const artifact = hostileArtifact([{ path: 'sda', type: TYPE.blockDevice }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSUPPORTED_ENTRY', 'sda');
  });

  test('refuses a FIFO entry', async () => {
    const artifact = hostileArtifact([{ path: 'pipe', type: TYPE.fifo }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSUPPORTED_ENTRY', 'pipe');
  });

  test('refuses an entry of an unknown type flag instead of skipping it', async () => {
    const artifact = hostileArtifact([{ path: 'mystery', type: 'Z', body: 'data' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSUPPORTED_ENTRY', 'mystery');
  });

  test('refuses a GNU sparse file entry', async () => {
    const artifact = hostileArtifact([{ path: 'sparse', type: 'S', body: 'data' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSUPPORTED_ENTRY', 'sparse');
  });
});

describe('limits', () => {
  test('refuses more entries than limits.maxFiles', async () => {
    const artifact = hostileArtifact([
      { path: 'a', body: 'a' },
      { path: 'd/', type: TYPE.dir },
      { path: 'l', type: TYPE.symlink, linkpath: 'a' },
      { path: 'one-too-many', body: 'x' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { limits: { maxFiles: 3 } }), 'UNPACK_TOO_MANY_FILES', 'one-too-many');
  });

  test('counts implicit parent dirs against limits.maxFiles', async () => {
    const artifact = hostileArtifact([{ path: 'a/b/c/d/e/f', body: 'x' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { limits: { maxFiles: 5 } }), 'UNPACK_TOO_MANY_FILES', 'a/b/c/d/e/f');
  });

  test('refuses more unpacked bytes than limits.maxUnpackedBytes (summed over files)', async () => {
    const artifact = hostileArtifact([
      { path: 'a', body: Buffer.alloc(600) },
      { path: 'b', body: Buffer.alloc(600) },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { limits: { maxUnpackedBytes: 1000 } }), 'UNPACK_TOO_LARGE', 'b');
  });

  test('refuses a symlink target longer than twice limits.maxDepth', async () => {
    const artifact = hostileArtifact([{ path: 'l', type: TYPE.symlink, linkpath: `${'x/'.repeat(20)}y` }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact, { limits: { maxDepth: 8 } }), 'UNPACK_TOO_DEEP', 'l');
  });
});

describe('parent paths', () => {
  test("refuses a plain '..' path aimed at the sentinel", async () => {
    const artifact = hostileArtifact([{ path: '../../outside/pwn', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_PARENT_PATH', '../../outside/pwn');
  });

  test("refuses a '..' hidden in the middle of a path (a/../../x)", async () => {
    const artifact = hostileArtifact([{ path: 'a/../../x', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_PARENT_PATH', 'a/../../x');
  });

  test("refuses a '..' spelled with backslashes (a\\..\\..\\x)", async () => {
    const artifact = hostileArtifact([{ path: 'a\\..\\..\\x', body: 'PWNED\n' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_PARENT_PATH', 'a\\..\\..\\x');
  });
});

describe('links', () => {
  test('refuses a relative symlink climbing out of the release dir', async () => {
    const artifact = hostileArtifact([{ path: 'lib/out', type: TYPE.symlink, linkpath: '../../../outside' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'lib/out');
  });

  test('refuses a symlink whose target climbs with backslashes (..\\..\\outside)', async () => {
    const artifact = hostileArtifact([{ path: 'out', type: TYPE.symlink, linkpath: '..\\..\\outside' }]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'out');
  });

  test('refuses a symlink loop', async () => {
    const artifact = hostileArtifact([
      { path: 'a', type: TYPE.symlink, linkpath: 'b/x' },
      { path: 'b', type: TYPE.symlink, linkpath: 'a/y' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK');
  });

  test('refuses a symlink that a later symlink turns into an escape (re-checked against the final tree)', async () => {
    // p/l -> q/.. is p itself, until p/q becomes a symlink to '..' (the root): then p/l is root/.. .
    const artifact = hostileArtifact([
      { path: 'p/l', type: TYPE.symlink, linkpath: 'q/..' },
      { path: 'p/q', type: TYPE.symlink, linkpath: '..' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'p/l');
  });

  test('refuses a hardlink to a directory', async () => {
    const artifact = hostileArtifact([
      { path: 'd/', type: TYPE.dir },
      { path: 'l', type: TYPE.hardlink, linkpath: 'd' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'l');
  });

  test('refuses a hardlink to a symlink', async () => {
    const artifact = hostileArtifact([
      { path: 's', type: TYPE.symlink, linkpath: 'nowhere' },
      { path: 'l', type: TYPE.hardlink, linkpath: 's' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'l');
  });

  test('refuses a hardlink to a file that is not in the artifact (yet)', async () => {
    const artifact = hostileArtifact([
      { path: 'l', type: TYPE.hardlink, linkpath: 'later' },
      { path: 'later', body: 'x' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_UNSAFE_LINK', 'l');
  });
});

describe('name collisions', () => {
  test('refuses a file listed twice', async () => {
    const artifact = hostileArtifact([
      { path: 'server.js', body: 'one' },
      { path: './server.js', body: 'two' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', './server.js');
  });

  test('refuses a file that would replace an existing symlink', async () => {
    const artifact = hostileArtifact([
      { path: 'target', body: 'a' },
      { path: 'l', type: TYPE.symlink, linkpath: 'target' },
      { path: 'l', body: 'replacement' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', 'l');
  });

  test('refuses an entry below a regular file', async () => {
    const artifact = hostileArtifact([
      { path: 'a', body: 'file' },
      { path: 'a/b', body: 'below a file' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', 'a/b');
  });

  test('refuses a symlink named ./ (the release dir itself)', async () => {
    const artifact = hostileArtifact([
      { path: 'a', body: 'a' },
      { path: './', type: TYPE.symlink, linkpath: 'a' },
    ]);

    await expectRefused(sandbox, unpackInto(sandbox, artifact), 'UNPACK_NAME_COLLISION', './');
  });
});
