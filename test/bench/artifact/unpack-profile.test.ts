import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { HashingStream } from '../../../agent/fs/hashing-stream';
import { unpackRelease } from '../../../agent/release/unpack-release';
import { packDirectory } from '../../../cli/pack/pack';
import { withTimeout } from '../../support/with-timeout';
import { generateTree } from './release-tree';
import { UnpackProfiler } from './unpack-profile';

const builtin = createRequire(__filename);

describe('UnpackProfiler (bench:artifact, per-thread profile of fetch+unpack)', () => {
  let work: string;

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'unpack-profile-test-'));
  });

  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('times every stage of a real unpack on its thread, changes nothing the unpack writes, and puts every wrapped function back', async () => {
    // GIVEN a generated ~1 MB release tree packed as `deployctl push` packs it
    const tree = generateTree(path.join(work, 'tree'), 1);
    const artifact = path.join(work, 'a.tar.gz');
    await withTimeout(pipeline(await packDirectory(tree.dir), createWriteStream(artifact)), 60_000, 'pack the tree');
    const hashing = new HashingStream();
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    await withTimeout(pipeline(createReadStream(artifact), hashing, discard), 30_000, 'hash the artifact');
    const originals = {
      transform: Reflect.get(HashingStream.prototype, '_transform') as unknown,
      worker: (builtin('node:worker_threads') as typeof import('node:worker_threads')).Worker,
      gunzipOwn: Object.getOwnPropertyNames((builtin('node:zlib') as typeof import('node:zlib')).Gunzip.prototype),
    };
    const profiler = new UnpackProfiler();

    // WHEN the real unpackRelease runs while the profiler is installed
    profiler.install();
    let profile;
    let unpacked;
    try {
      profiler.begin();
      unpacked = await withTimeout(
        unpackRelease({
          source: createReadStream(artifact),
          expected: { sha256: hashing.sha256 ?? '', size: hashing.bytes },
          releasesDir: path.join(work, 'releases'),
          version: 'v1',
        }),
        120_000,
        'unpackRelease of the generated tree',
      );
      profile = profiler.end();
    } finally {
      profiler.uninstall();
    }

    // THEN the release is whole, every stage took some time, and the main thread's stages fit in its busy time
    expect(unpacked.bytes).toBe(tree.bytes);
    expect(unpacked.reused).toBe(false);
    expect(profile.writerThreads).toBeGreaterThanOrEqual(1);
    for (const stage of ['hashMs', 'inflateMs', 'parseMs', 'checksMs', 'writesMs', 'syncMs', 'mainBusyMs'] as const) {
      expect({ stage, ms: profile[stage] }).toEqual({ stage, ms: expect.any(Number) });
      expect({ stage, positive: profile[stage] > 0 }).toEqual({ stage, positive: true });
    }
    expect(profile.hashMs + profile.parseMs + profile.checksMs).toBeLessThanOrEqual(profile.mainBusyMs + 0.5);
    // AND the agent's code runs unwrapped again
    expect(Reflect.get(HashingStream.prototype, '_transform')).toBe(originals.transform);
    expect((builtin('node:worker_threads') as typeof import('node:worker_threads')).Worker).toBe(originals.worker);
    expect(Object.getOwnPropertyNames((builtin('node:zlib') as typeof import('node:zlib')).Gunzip.prototype)).toEqual(originals.gunzipOwn);
  }, 180_000);

  it('refuses end() without begin()', () => {
    expect(() => new UnpackProfiler().end()).toThrow(/without begin/);
  });
});
