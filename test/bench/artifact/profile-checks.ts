/**
 * `node dist/test/bench/artifact/profile-checks.js [MB]`: the main thread's cost of checking and
 * queuing each tar entry, without reading, hashing, inflating or parsing. The bench's tree
 * (release-tree.ts, default 100 MB) is packed once as `deployctl push` packs it (packDirectory)
 * and read once with the agent's TarReader; its entries (header + data) are kept in memory and
 * replayed, PROFILE_ROUNDS times (default 5), through:
 *
 *   checks      the per-entry checks alone, in the extractor's order: checkEntryPath, pathKeys,
 *               ReleaseTree.checkPlacement, safeJoin, ReleaseTree.add
 *   queue       a real EntryWriteQueue (one writer thread, into a temp dir) given the vetted
 *               operations: dir / fileStart + fileData + fileEnd
 *   extract     EntryExtractor.extract, data, end (as TarReader's handlers call them) with a real
 *               EntryWriteQueue (one writer thread, into a temp dir): checks + queue
 *
 * Each row times only the main thread's synchronous work: like unpackRelease, the replay waits
 * for the writer to drain whenever it is saturated (default in-flight cap, so arenas are reused
 * as in a real unpack), and those waits and the final flush are not counted. Medians (and
 * minimums) over the rounds. Prints a table, then one JSON object as its last line. Not part of
 * `npm run bench:artifact`; for measuring the per-entry code of agent/release.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { checkEntryPath } from '../../../agent/release/entry-path';
import { safeJoin } from '../../../agent/release/entry-destination';
import { EntryExtractor } from '../../../agent/release/entry-extractor';
import { EntryWriteQueue } from '../../../agent/release/entry-write-queue';
import { TarReader, type TarEntryHeader } from '../../../agent/release/tar/tar-reader';
import { ReleaseTree, pathKeys } from '../../../agent/release/release-tree';
import { MAX_META_ENTRY_BYTES, resolveUnpackLimits } from '../../../agent/release/unpack-limits';
import { UnpackError } from '../../../agent/release/unpack-error';
import { packDirectory } from '../../../cli/pack/pack';
import { median } from '../reload/stats-math';
import { withTimeout } from '../../support/with-timeout';
import { generateTree } from './release-tree';
import { removeDir } from './steps';

/** One parsed tar entry, ready to replay. */
interface Recorded {
  readonly header: TarEntryHeader;
  readonly path: string;
  readonly type: string;
  readonly data: Buffer | undefined;
}

const ROW_NAMES = ['checks', 'queue', 'extract'] as const;
type RowName = (typeof ROW_NAMES)[number];
const DRAIN_TIMEOUT_MS = 120_000;

async function recordEntries(dir: string): Promise<Recorded[]> {
  const entries: Recorded[] = [];
  let current: { header: TarEntryHeader; chunks: Buffer[] } | undefined;
  const reader = new TarReader({
    maxMetaEntryBytes: MAX_META_ENTRY_BYTES,
    handlers: {
      entry: (header) => {
        current = { header, chunks: [] };
      },
      // A view of the input: copied.
      data: (chunk) => current?.chunks.push(Buffer.from(chunk)),
      end: () => {
        if (current === undefined) return;
        const { header, chunks } = current;
        entries.push({ header, path: header.path, type: header.type, data: chunks.length === 0 ? undefined : Buffer.concat(chunks) });
        current = undefined;
      },
      ignored: (header) => {
        throw new Error(`the bench tree has an entry the reader ignores: ${header.path}`);
      },
      eof: () => undefined,
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        reader.write(chunk);
        callback();
      } catch (error: unknown) {
        callback(error instanceof Error ? error : new Error(String(error)));
      }
    },
    final(callback) {
      reader.end();
      callback();
    },
  });
  await pipeline(await packDirectory(dir), createGunzip({ chunkSize: 256 * 1024 }), sink);
  return entries;
}

function timeChecks(entries: readonly Recorded[], root: string): number {
  const tree = new ReleaseTree();
  const { maxDepth } = resolveUnpackLimits();
  const started = performance.now();
  for (const { path: raw, type } of entries) {
    const verdict = checkEntryPath(raw, maxDepth);
    if (!verdict.ok) throw new Error(`${raw}: ${verdict.refusal.problem}`);
    const { segments } = verdict;
    if (segments.length === 0) continue;
    const kind = type === 'Directory' ? 'dir' : 'file';
    const keys = pathKeys(segments);
    const refusal = tree.checkPlacement(segments, kind, keys);
    if (refusal !== undefined) throw new Error(`${raw}: ${refusal.problem}`);
    safeJoin(root, segments, raw);
    if (kind === 'dir' && tree.isDirKey(keys.key)) continue;
    tree.add(segments, kind, undefined, keys);
  }
  return performance.now() - started;
}

/** Waits (untimed) for the writer to drain when it is saturated, as the parser's paused entry would. */
async function drained(writer: EntryWriteQueue): Promise<void> {
  if (!writer.saturated) return;
  await withTimeout(new Promise<void>((resolve) => writer.onDrain(resolve)), DRAIN_TIMEOUT_MS, 'the entry writer to drain');
}

/**
 * Milliseconds spent in the step `stepOf` makes (untimed) over `items`, with a real one-thread
 * EntryWriteQueue writing into `root` (waiting for it to drain, and its flush, are not timed);
 * rejects with its first failure.
 */
async function timeQueued<T>(items: readonly T[], root: string, stepOf: (writer: EntryWriteQueue) => (item: T) => void): Promise<number> {
  const failures: UnpackError[] = [];
  const writer = new EntryWriteQueue({ root, threads: 1, onFailure: (error) => failures.push(error) });
  const step = stepOf(writer);
  try {
    let ms = 0;
    for (const item of items) {
      const started = performance.now();
      step(item);
      ms += performance.now() - started;
      await drained(writer);
    }
    await writer.flush();
    if (failures.length > 0) throw failures[0];
    return ms;
  } finally {
    await writer.close();
  }
}

function timeQueue(entries: readonly Recorded[], root: string): Promise<number> {
  // Paths as the extractor would hand them over (computed before the clock starts).
  const ops = entries.flatMap((entry) => {
    const relative = entry.path.replace(/\/+$/, '');
    return relative === '' || relative === '.' ? [] : [{ absolute: `${root}/${relative}`, dir: entry.type === 'Directory', data: entry.data }];
  });
  return timeQueued(ops, root, (writer) => (op) => {
    if (op.dir) {
      writer.dir(op.absolute, 0o755);
    } else {
      writer.fileStart(op.absolute, 0o644);
      if (op.data !== undefined) writer.fileData(op.data);
      writer.fileEnd();
    }
  });
}

function timeExtract(entries: readonly Recorded[], root: string): Promise<number> {
  return timeQueued(entries, root, (writer) => {
    const extractor = new EntryExtractor({ root, limits: resolveUnpackLimits(), writer });
    return ({ header, data }) => {
      extractor.extract(header);
      if (data !== undefined) extractor.data(data);
      extractor.end();
    };
  });
}

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? '100');
  const rounds = Number(process.env['PROFILE_ROUNDS'] ?? '5');
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-profile-checks-'));
  try {
    const tree = generateTree(path.join(work, 'tree'), mb);
    const entries = await recordEntries(tree.dir);
    process.stdout.write(`tree: ${tree.files} files, ${tree.dirs} dirs, ${(tree.bytes / 1e6).toFixed(1)} MB; ${entries.length} tar entries; ${rounds} rounds\n`);
    const samples = new Map<RowName, number[]>(ROW_NAMES.map((name) => [name, []]));
    for (let round = 1; round <= rounds; round += 1) {
      const root = mkdtempSync(path.join(work, `out-${round}-`));
      const queueRoot = mkdtempSync(path.join(work, `queue-${round}-`));
      samples.get('checks')?.push(timeChecks(entries, root));
      samples.get('queue')?.push(await timeQueue(entries, queueRoot));
      samples.get('extract')?.push(await timeExtract(entries, root));
      removeDir(root);
      removeDir(queueRoot);
    }
    const results = ROW_NAMES.map((name) => {
      const ms = samples.get(name) ?? [];
      return { name, ms: tenths(median(ms) ?? 0), minMs: tenths(Math.min(...ms)), samplesMs: ms.map((v) => Math.round(v)) };
    });
    process.stdout.write(`${'row'.padEnd(10)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)}  samples ms\n`);
    for (const row of results) {
      process.stdout.write(`${row.name.padEnd(10)} ${row.ms.toFixed(1).padStart(10)} ${row.minMs.toFixed(1).padStart(8)}  ${row.samplesMs.join(' ')}\n`);
    }
    process.stdout.write(`${JSON.stringify({ bench: 'profile-checks', mb, entries: entries.length, rounds, results })}\n`);
  } finally {
    removeDir(work);
  }
}

function tenths(ms: number): number {
  return Math.round(ms * 10) / 10;
}

main().catch((error: unknown) => {
  process.stderr.write(`profile-checks failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
