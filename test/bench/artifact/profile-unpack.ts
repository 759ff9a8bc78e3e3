/**
 * `node dist/test/bench/artifact/profile-unpack.js [MB]`: where the agent's
 * unpack spends its time, stage by stage, on the bench's tree packed exactly as
 * `deployctl push` packs it (packDirectory), read from a local file (no S3):
 *
 *   read+sha256          source → HashingStream → discard
 *   +gunzip              … → gunzip (256 KiB chunks, as unpackRelease) → discard
 *   +tar parse           … → gunzip → TarReader (the agent's), entries discarded
 *   unpackRelease        the real thing (checks, writer threads, flush, rename), with the
 *                        time inside syncTree; `1 writer` keeps it to one writer thread
 *   tar xzf, sync -f     GNU tar into a fresh dir, for comparison, then one syncfs
 *
 * The unpackRelease variants alternate for PROFILE_ROUNDS rounds (default 2), so that
 * other load on the machine hits them alike. `sync` runs before each stage. Not part
 * of `npm run bench:artifact`; for explaining a missed target.
 */
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { HashingStream } from '../../../agent/fs/hashing-stream';
import { TarReader } from '../../../agent/release/tar/tar-reader';
import * as releaseDir from '../../../agent/release/release-dir';
import { unpackRelease, type UnpackOptions } from '../../../agent/release/unpack-release';
import { packDirectory } from '../../../cli/pack/pack';
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
    await stage('+gunzip', () => pipeline(createReadStream(artifact), new HashingStream(), createGunzip({ chunkSize: 256 * 1024 }), discard()));
    await stage('+tar parse', async () => {
      let entries = 0;
      const none = (): void => undefined;
      const reader = new TarReader({
        maxMetaEntryBytes: 1024 * 1024,
        handlers: { entry: () => void (entries += 1), data: none, end: none, ignored: none, eof: none },
      });
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          reader.write(chunk);
          callback();
        },
        final(callback) {
          reader.end();
          callback();
        },
      });
      await pipeline(createReadStream(artifact), new HashingStream(), createGunzip({ chunkSize: 256 * 1024 }), sink);
      return `${entries} entries`;
    });

    const variants: readonly { label: string; writerThreads: UnpackOptions['writerThreads'] }[] = [
      { label: 'unpackRelease', writerThreads: undefined },
      { label: '…, 1 writer', writerThreads: { initial: 1, max: 1 } },
    ];
    const releases = path.join(work, 'releases');
    const rounds = Number(process.env['PROFILE_ROUNDS'] ?? '2');
    for (let round = 1; round <= rounds; round += 1) {
      for (const variant of variants) {
        const totals = new Map<string, { ms: number; calls: number }>();
        timeExport(releaseDir, 'syncTree', totals);
        try {
          await stage(variant.label, async () => {
            const result = await unpackRelease({
              source: createReadStream(artifact),
              expected,
              releasesDir: releases,
              version: 'v1',
              ...(variant.writerThreads === undefined ? {} : { writerThreads: variant.writerThreads }),
            });
            const parts = [...totals].map(([name, t]) => `${name} ${Math.round(t.ms)} ms/${t.calls}`);
            return `${result.files} entries; inside: ${parts.join(', ')}`;
          });
        } finally {
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
