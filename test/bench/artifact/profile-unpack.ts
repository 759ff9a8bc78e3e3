/**
 * `node dist/test/bench/artifact/profile-unpack.js [MB]`: where the agent's
 * unpack spends its time, stage by stage, on the bench's tree packed exactly as
 * `deployctl push` packs it (packDirectory), read from a local file (no S3):
 *
 *   read+sha256          source → HashingStream → discard
 *   +gunzip              … → gunzip → discard
 *   +tar parse           … → gunzip → node-tar Parser, entries discarded
 *   unpackRelease        the real thing (checks, writes, flush, rename), with the
 *                        time inside writeEntryFile, makeDir and syncTree summed
 *   …, per-file fsync    the same with syncTree swapped (in this process only) for the
 *                        scheme it replaced: an fsync per file, then per dir, 16 at once
 *   …, sync writes       a prototype, not the agent's code: the same with writeEntryFile and
 *                        makeDir swapped (in this process only) for versions making the same
 *                        syscalls synchronously (no thread-pool round trip per open, write,
 *                        chmod, close), to size that cost
 *   tar xzf, sync -f     GNU tar into a fresh dir, for comparison, then one syncfs
 *
 * The unpackRelease variants alternate for PROFILE_ROUNDS rounds (default 2), so that
 * other load on the machine hits them alike. `sync` runs before each stage. Not part
 * of `npm run bench:artifact`; for explaining a missed target.
 */
import { chmodSync, closeSync, constants, createReadStream, createWriteStream, fchmodSync, mkdirSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { HashingStream } from '../../../agent/fs/hashing-stream';
import * as entryWriter from '../../../agent/release/entry-writer';
import * as releaseDir from '../../../agent/release/release-dir';
import { unpackRelease } from '../../../agent/release/unpack-release';
import { packDirectory } from '../../../cli/pack';
import { generateTree } from './release-tree';
import { runProcess } from './run-process';
import { removeDir } from './steps';

const discard = (): Writable =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

/** Wraps an exported async function of a CommonJS module, summing the time spent inside it. */
function timeExport(mod: object, name: string, totals: Map<string, { ms: number; calls: number }>): void {
  const record = mod as Record<string, unknown>;
  const original = record[name];
  if (typeof original !== 'function') throw new Error(`${name} is not an exported function`);
  const total = { ms: 0, calls: 0 };
  totals.set(name, total);
  record[name] = async (...args: unknown[]): Promise<unknown> => {
    const started = performance.now();
    try {
      return await (original as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      total.ms += performance.now() - started;
      total.calls += 1;
    }
  };
}

/** Prototype: entry-writer's writeEntryFile with the same syscalls made synchronously. */
function writeEntryFileSync(absolute: string, entry: ReadEntry, mode: number, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let fd: number;
    try {
      fd = openSync(absolute, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (error: unknown) {
      reject(error);
      return;
    }
    let written = 0;
    let open = true;
    const detach = (): void => {
      entry.off('data', onData);
      entry.off('end', onEnd);
      entry.off('error', fail);
      signal.removeEventListener('abort', onAbort);
    };
    function fail(error: unknown): void {
      detach();
      if (open) {
        open = false;
        closeSync(fd);
      }
      reject(error);
    }
    function onData(chunk: Buffer): void {
      try {
        for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset);
        written += chunk.length;
      } catch (error: unknown) {
        fail(error);
      }
    }
    function onEnd(): void {
      detach();
      try {
        fchmodSync(fd, mode);
        open = false;
        closeSync(fd);
        resolve(written);
      } catch (error: unknown) {
        fail(error);
      }
    }
    function onAbort(): void {
      fail(new Error('unpack aborted'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    entry.on('error', fail);
    entry.on('end', onEnd);
    entry.on('data', onData);
  });
}

/** The flush syncTree did before it used syncfs: fsync every file, then every dir (deepest first), then root; 16 at once. */
async function perFileFsync(root: string, files: readonly string[], dirs: readonly string[]): Promise<void> {
  const items = [...files, ...[...dirs].sort((a, b) => b.length - a.length), root];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      const handle = await open(items[index] as string, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, items.length) }, worker));
}

async function makeDirSync(absolute: string): Promise<void> {
  mkdirSync(absolute, { mode: entryWriter.DIR_MODE });
  chmodSync(absolute, entryWriter.DIR_MODE);
}

async function stage(label: string, work: () => Promise<string | void>): Promise<void> {
  await runProcess('sync', [], { label: 'sync', timeoutMs: 120_000 });
  const started = performance.now();
  const note = await work();
  process.stdout.write(`${label.padEnd(22)} ${String(Math.round(performance.now() - started)).padStart(6)} ms${note ? `  ${note}` : ''}\n`);
}

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? '100');
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-profile-unpack-'));
  try {
    const tree = generateTree(path.join(work, 'tree'), mb);
    const artifact = path.join(work, 'artifact.tar.gz');
    await pipeline(await packDirectory(tree.dir), createWriteStream(artifact));
    const hashing = new HashingStream();
    await pipeline(createReadStream(artifact), hashing, discard());
    const expected = { sha256: hashing.sha256 ?? '', size: hashing.bytes };
    process.stdout.write(`tree: ${tree.files} files, ${tree.dirs} dirs, ${(tree.bytes / 1e6).toFixed(1)} MB; artifact ${(expected.size / 1e6).toFixed(1)} MB\n`);

    await stage('read+sha256', () => pipeline(createReadStream(artifact), new HashingStream(), discard()));
    await stage('+gunzip', () => pipeline(createReadStream(artifact), new HashingStream(), createGunzip(), discard()));
    await stage('+tar parse', async () => {
      let entries = 0;
      const parser = new Parser({ strict: true });
      parser.on('entry', (entry: ReadEntry) => {
        entries += 1;
        entry.resume();
      });
      await pipeline(createReadStream(artifact), new HashingStream(), createGunzip(), parser as unknown as NodeJS.WritableStream);
      return `${entries} entries`;
    });

    const writer = entryWriter as unknown as Record<string, unknown>;
    const flush = releaseDir as unknown as Record<string, unknown>;
    const asIs = { writeEntryFile: writer['writeEntryFile'], makeDir: writer['makeDir'], syncTree: flush['syncTree'] };
    const variants: readonly { label: string; patch: () => void }[] = [
      { label: 'unpackRelease', patch: () => undefined },
      { label: '…, per-file fsync', patch: () => void (flush['syncTree'] = perFileFsync) },
      {
        label: '…, sync writes',
        patch: () => {
          writer['writeEntryFile'] = writeEntryFileSync;
          writer['makeDir'] = makeDirSync;
        },
      },
    ];
    const releases = path.join(work, 'releases');
    const rounds = Number(process.env['PROFILE_ROUNDS'] ?? '2');
    for (let round = 1; round <= rounds; round += 1) {
      for (const variant of variants) {
        variant.patch();
        const totals = new Map<string, { ms: number; calls: number }>();
        timeExport(entryWriter, 'writeEntryFile', totals);
        timeExport(entryWriter, 'makeDir', totals);
        timeExport(releaseDir, 'syncTree', totals);
        try {
          await stage(variant.label, async () => {
            const result = await unpackRelease({ source: createReadStream(artifact), expected, releasesDir: releases, version: 'v1' });
            const parts = [...totals].map(([name, t]) => `${name} ${Math.round(t.ms)} ms/${t.calls}`);
            return `${result.files} entries; inside: ${parts.join(', ')}`;
          });
        } finally {
          Object.assign(writer, { writeEntryFile: asIs.writeEntryFile, makeDir: asIs.makeDir });
          flush['syncTree'] = asIs.syncTree;
          removeDir(releases);
        }
      }
      // In each round, so that every round pairs the variants with a tar run under about the same load.
      const out = path.join(work, 'xzf');
      mkdirSync(out);
      await stage('tar xzf', async () => {
        await runProcess('tar', ['xzf', artifact, '-C', out], { label: 'tar xzf', timeoutMs: 600_000 });
      });
      await stage('sync -f (after tar)', async () => {
        await runProcess('sync', ['-f', out], { label: 'sync -f', timeoutMs: 600_000 });
      });
      removeDir(out);
    }

  } finally {
    removeDir(work);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile-unpack failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
