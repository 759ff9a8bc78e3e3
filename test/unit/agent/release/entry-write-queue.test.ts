/**
 * EntryWriteQueue on its own: real writer threads creating real files in a temp dir.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EntryWriteQueue } from '../../../../agent/release/entry-write-queue';
import type { UnpackError } from '../../../../agent/release/unpack-error';
import { withTimeout } from '../../../support/with-timeout';

let root: string;
let queue: EntryWriteQueue | undefined;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'deployctl-write-queue-'));
});
afterEach(async () => {
  await queue?.close();
  queue = undefined;
  await rm(root, { recursive: true, force: true });
});

function openQueue(options: { threads: number; maxInFlightBytes?: number }): { queue: EntryWriteQueue; failures: UnpackError[] } {
  const failures: UnpackError[] = [];
  queue = new EntryWriteQueue({
    root,
    threads: options.threads,
    initialThreads: options.threads,
    onFailure: (error) => failures.push(error),
    ...(options.maxInFlightBytes === undefined ? {} : { maxInFlightBytes: options.maxInFlightBytes }),
  });
  return { queue, failures };
}

describe('EntryWriteQueue', () => {
  test('a thread waiting for a mkdir on another thread stops when that mkdir fails', async () => {
    // GIVEN `a` exists already, so the thread that creates `a` fails; `a/b` (a new subtree) is
    // created by the other thread, after `a`
    mkdirSync(path.join(root, 'a'));
    const { queue: writer, failures } = openQueue({ threads: 2 });
    writer.dir(path.join(root, 'a'), 0o755);
    writer.dir(path.join(root, 'a', 'b'), 0o755);
    writer.fileStart(path.join(root, 'a', 'b', 'c.js'), 0o644);
    writer.fileData(Buffer.from('c'));
    writer.fileEnd();

    // WHEN every operation is awaited
    const flushed = withTimeout(writer.flush(), 10_000, 'the write queue to settle');

    // THEN the first failure is reported once, the waiting thread gave up, and close returns
    await expect(flushed).rejects.toMatchObject({ code: 'UNPACK_IO_FAILED', message: expect.stringMatching(/EEXIST.*\/a'/) });
    await withTimeout(writer.close(), 10_000, 'the writer threads to stop');
    expect(failures).toHaveLength(1);
    expect(existsSync(path.join(root, 'a', 'b'))).toBe(false);
  });

  test('holds the producer back while too much file data is in flight, and writes it all', async () => {
    const { queue: writer } = openQueue({ threads: 2, maxInFlightBytes: 512 * 1024 });
    const data = randomBytes(4 * 1024 * 1024);
    writer.dir(path.join(root, 'd'), 0o755);
    writer.fileStart(path.join(root, 'd', 'big.bin'), 0o644);
    let offset = 0;
    let waits = 0;
    while (offset < data.length) {
      // Synchronously, as the parser feeds an entry: acknowledgements cannot arrive meanwhile.
      while (offset < data.length && !writer.saturated) {
        writer.fileData(data.subarray(offset, offset + 64 * 1024));
        offset += 64 * 1024;
      }
      if (offset < data.length) {
        waits += 1;
        await withTimeout(new Promise<void>((resume) => writer.onDrain(resume)), 10_000, 'the writers to drain');
      }
    }
    writer.fileEnd();
    await withTimeout(writer.flush(), 10_000, 'the write queue to settle');

    expect(waits).toBeGreaterThan(0);
    expect((await readFile(path.join(root, 'd', 'big.bin'))).equals(data)).toBe(true);
  });

  test('splits file data bigger than a batch arena over pooled arenas: 1 MiB chunks of big files allocate no arena of their own', async () => {
    const { queue: writer } = openQueue({ threads: 1, maxInFlightBytes: 1024 * 1024 });
    const big = randomBytes(8 * 1024 * 1024 + 12_345);
    const longName = `${'n'.repeat(200)}.bin`;
    const small = randomBytes(3000);
    writer.dir(path.join(root, 'd'), 0o755);
    writer.fileStart(path.join(root, 'd', longName), 0o644);
    for (let offset = 0; offset < big.length; offset += 1024 * 1024) {
      // 1 MiB at a time, as gunzip hands it on, waiting while the writers are behind.
      writer.fileData(big.subarray(offset, offset + 1024 * 1024));
      if (writer.saturated) await withTimeout(new Promise<void>((resume) => writer.onDrain(resume)), 10_000, 'the writers to drain');
    }
    writer.fileEnd();
    writer.fileStart(path.join(root, 'd', 'small.bin'), 0o644);
    writer.fileData(small);
    writer.fileEnd();
    await withTimeout(writer.flush(), 10_000, 'the write queue to settle');

    expect((await readFile(path.join(root, 'd', longName))).equals(big)).toBe(true);
    expect((await readFile(path.join(root, 'd', 'small.bin'))).equals(small)).toBe(true);
    // The in-flight limit plus a chunk, in 256 KiB arenas reused, not 8 MiB of one-off ones.
    expect(writer.allocatedArenaBytes).toBeLessThanOrEqual(3 * 1024 * 1024);
  });

  test('a thread joins when the writers kept the caller waiting, at the next new subtree: never for one big file, where it would only idle', async () => {
    const failures: UnpackError[] = [];
    const writer = (queue = new EntryWriteQueue({ root, threads: 2, initialThreads: 1, growAfterWaitMs: 0, maxInFlightBytes: 256 * 1024, onFailure: (e) => failures.push(e) }));
    const big = randomBytes(8 * 1024 * 1024);
    writer.dir(path.join(root, 'd'), 0o755);
    writer.fileStart(path.join(root, 'd', 'big.bin'), 0o644);
    let waits = 0;
    for (let offset = 0; offset < big.length; offset += 1024 * 1024) {
      writer.fileData(big.subarray(offset, offset + 1024 * 1024));
      if (!writer.saturated) continue;
      waits += 1;
      await withTimeout(new Promise<void>((resume) => writer.onDrain(resume)), 10_000, 'the writers to drain');
    }
    writer.fileEnd();
    await withTimeout(writer.flush(), 10_000, 'the big file to be written');

    // The caller waited (each wait is past growAfterWaitMs 0), yet no subtree came for a second thread.
    expect(waits).toBeGreaterThan(0);
    expect(writer.threads).toBe(1);

    writer.dir(path.join(root, 'e'), 0o755);
    writer.fileStart(path.join(root, 'e', 'small.bin'), 0o644);
    writer.fileData(big.subarray(0, 1000));
    writer.fileEnd();
    await withTimeout(writer.flush(), 10_000, 'the new subtree to be written');

    expect(writer.threads).toBe(2);
    expect((await readFile(path.join(root, 'd', 'big.bin'))).equals(big)).toBe(true);
    expect((await readFile(path.join(root, 'e', 'small.bin'))).equals(big.subarray(0, 1000))).toBe(true);
    expect(failures).toEqual([]);
  });

  test('counts batches of directories in flight too, so a stream of empty entries is held back as well', async () => {
    const { queue: writer } = openQueue({ threads: 1, maxInFlightBytes: 256 * 1024 });
    let made = 0;
    while (!writer.saturated && made < 10_000) {
      writer.dir(path.join(root, `d${made}`), 0o755);
      made += 1;
    }

    expect(writer.saturated).toBe(true);
    await withTimeout(new Promise<void>((resume) => writer.onDrain(resume)), 10_000, 'the writers to drain');
    await withTimeout(writer.flush(), 10_000, 'the write queue to settle');
    expect(existsSync(path.join(root, `d${made - 1}`))).toBe(true);
  });

  test('nothing queued after close reaches the disk', async () => {
    const { queue: writer } = openQueue({ threads: 2 });
    writer.dir(path.join(root, 'before'), 0o755);
    await withTimeout(writer.flush(), 10_000, 'the write queue to settle');
    await writer.close();

    writer.dir(path.join(root, 'after'), 0o755);
    await expect(withTimeout(writer.flush(), 10_000, 'flush after close')).resolves.toBeUndefined();

    expect(existsSync(path.join(root, 'before'))).toBe(true);
    expect(existsSync(path.join(root, 'after'))).toBe(false);
  });
});
