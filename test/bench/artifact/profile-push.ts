/**
 * `node dist/test/bench/artifact/profile-push.js [MB]`: where `deployctl push
 * --dir` spends its time before and around the upload, stage by stage, on the
 * bench's tree (no S3 involved):
 *
 *   node start / CLI load   `node -e 0`, and `node -e "require('dist/cli/main.js')"`
 *   walkTree                the listing push makes first (one lstat per entry)
 *   tar (no gzip)           TarStream of that listing → discard
 *   packTree                the real packer (TarStream + ParallelGzip) → sha256 → discard
 *   …, gzip on one core     the same with ParallelGzip limited to one member at a time
 *   tar cf / tar czf        GNU tar to /dev/null, for comparison
 *
 * `sync` runs before each stage. Not part of `npm run bench:artifact`; for
 * explaining a missed target.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from '../../../agent/fs/hashing-stream';
import { packTree } from '../../../cli/pack/pack';
import { ParallelGzip } from '../../../cli/pack/parallel-gzip';
import { TarStream } from '../../../cli/pack/tar-stream';
import { walkTree, type TreeListing } from '../../../cli/pack/tree-walk';
import { generateTree } from './release-tree';
import { runProcess } from './run-process';
import { removeDir } from './steps';

const discard = (): Writable =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

async function stage(label: string, work: () => Promise<string | void>): Promise<void> {
  await runProcess('sync', [], { label: 'sync', timeoutMs: 120_000 });
  const started = performance.now();
  const note = await work();
  process.stdout.write(`${label.padEnd(22)} ${String(Math.round(performance.now() - started)).padStart(6)} ms${note ? `  ${note}` : ''}\n`);
}

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? '100');
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-profile-push-'));
  try {
    const tree = generateTree(path.join(work, 'tree'), mb);
    process.stdout.write(`tree: ${tree.files} files, ${tree.dirs} dirs, ${(tree.bytes / 1e6).toFixed(1)} MB\n`);
    const cliMain = path.resolve(__dirname, '..', '..', '..', 'cli', 'main.js');
    await stage('node start', async () => {
      await runProcess(process.execPath, ['-e', '0'], { label: 'node', timeoutMs: 60_000 });
    });
    await stage('node + CLI load', async () => {
      await runProcess(process.execPath, ['-e', `require(${JSON.stringify(cliMain)})`], { label: 'node', timeoutMs: 60_000 });
    });
    let listing: TreeListing | undefined;
    await stage('walkTree', async () => {
      listing = await walkTree(tree.dir);
      return `${listing.entries.length} entries`;
    });
    if (!listing) throw new Error('no listing');
    const walked: TreeListing = listing;
    await stage('tar (no gzip)', async () => {
      const tar = new TarStream(walked);
      await pipeline(tar, discard());
    });
    await stage('packTree (+gzip+sha)', async () => {
      const hashing = new HashingStream();
      await pipeline(packTree(walked), hashing, discard());
      return `${(hashing.bytes / 1e6).toFixed(1)} MB gzip'd`;
    });
    await stage('…, gzip on one core', async () => {
      const hashing = new HashingStream();
      await pipeline(new TarStream(walked), new ParallelGzip({ concurrency: 1 }), hashing, discard());
      return `${(hashing.bytes / 1e6).toFixed(1)} MB gzip'd`;
    });
    await stage('tar cf /dev/null', async () => {
      await runProcess('sh', ['-c', `tar cf - -C '${tree.dir}' . > /dev/null`], { label: 'tar cf', timeoutMs: 600_000 });
    });
    await stage('tar czf /dev/null', async () => {
      await runProcess('sh', ['-c', `tar czf - -C '${tree.dir}' . > /dev/null`], { label: 'tar czf', timeoutMs: 600_000 });
    });
  } finally {
    removeDir(work);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile-push failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
