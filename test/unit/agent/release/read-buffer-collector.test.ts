import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { c as createTar } from 'tar';
import { AGENT_NODE_FLAGS } from '../../../../agent/lifecycle/node-flags';
import { ReadBufferCollector, exposedMinorGc } from '../../../../agent/release/read-buffer-collector';
import { unpackRelease } from '../../../../agent/release/unpack-release';
import { fileSize, sha256File } from '../../../support/cli-harness';
import { repoRoot } from '../../../support/fixture-releases';
import { runCommand } from '../../../support/run-command';
import { withTimeout } from '../../../support/with-timeout';
import { chunked } from './release-sandbox';

const MiB = 1024 * 1024;

describe('ReadBufferCollector', () => {
  test('collects once each time the bytes read pass another `everyBytes`, however they arrive', () => {
    let collections = 0;
    const collector = new ReadBufferCollector(() => {
      collections += 1;
    }, 100);

    for (const bytes of [10, 99]) collector.onBytesRead(bytes);
    expect(collections).toBe(0);
    collector.onBytesRead(100);
    expect(collections).toBe(1);
    collector.onBytesRead(150);
    expect(collections).toBe(1);
    // One chunk that jumps past several thresholds is one collection, and the next is due at 400.
    collector.onBytesRead(350);
    expect(collections).toBe(2);
    collector.onBytesRead(399);
    expect(collections).toBe(2);
    collector.onBytesRead(400);
    expect(collections).toBe(3);
  });

  test('collects nothing without a collection to run (gc not exposed)', () => {
    const collector = new ReadBufferCollector(undefined, 1);
    expect(() => collector.onBytesRead(10 * MiB)).not.toThrow();
  });

  test('refuses an interval that is not a positive integer', () => {
    for (const everyBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ReadBufferCollector(() => undefined, everyBytes)).toThrow(/everyBytes must be a positive integer/);
    }
  });

});

describe('exposedMinorGc', () => {
  const original = globalThis.gc;
  afterEach(() => {
    globalThis.gc = original;
  });

  test('is undefined when the process runs without --expose-gc', () => {
    globalThis.gc = undefined;
    expect(exposedMinorGc()).toBeUndefined();
  });

  test("runs V8's young-generation collection, synchronously, when gc is exposed", () => {
    const calls: unknown[][] = [];
    globalThis.gc = ((...args: unknown[]) => {
      calls.push(args);
    }) as NodeJS.GCFunction;

    exposedMinorGc()?.();

    expect(calls).toEqual([[{ type: 'minor' }]]);
  });
});

describe('unpackRelease and the read-buffer collector', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'deployctl-collector-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('runs the minor collection once per 4 MiB of artifact read', async () => {
    const artifact = await bigFileArtifact(root, 10 * MiB);
    let collections = 0;

    await withTimeout(
      unpackRelease({
        source: chunked(await readFile(artifact.file), 64 * 1024),
        expected: artifact.expected,
        releasesDir: path.join(root, 'releases'),
        version: 'v1',
        minorGc: () => {
          collections += 1;
        },
      }),
      30_000,
      'unpackRelease of a 10 MiB file',
    );

    expect(collections).toBe(Math.floor(artifact.expected.size / (4 * MiB)));
    expect(collections).toBeGreaterThanOrEqual(2);
  });

  test("with the agent's V8 flags, an unpack over HTTP never holds more than 48 MB of ArrayBuffers (Node 24 let dead socket buffers reach 64 MB and more)", async () => {
    const artifact = await bigFileArtifact(root, 160 * MiB);
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-length': String(artifact.expected.size) });
      createReadStream(artifact.file, { highWaterMark: MiB }).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await unpackInChild(
        [`http://127.0.0.1:${port}/artifact`, artifact.expected.sha256, String(artifact.expected.size), path.join(root, 'releases')],
        AGENT_NODE_FLAGS,
      );

      expect(result.gcExposed).toBe(true);
      expect(result.files).toBe(1);
      expect(result.maxArrayBuffersBytes).toBeLessThan(48 * 1e6);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 150_000);
});

interface ChildResult {
  readonly gcExposed: boolean;
  readonly files: number;
  readonly maxArrayBuffersBytes: number;
}

/** Runs test/support/unpack-over-http-child (compiled) under node's `flags`; its JSON line, once it exited 0. */
async function unpackInChild(args: readonly string[], flags: readonly string[]): Promise<ChildResult> {
  const child = path.join(repoRoot(), 'dist', 'test', 'support', 'unpack-over-http-child.js');
  const { code, stdout, stderr } = await runCommand(process.execPath, [...flags, child, ...args], { timeoutMs: 90_000 });
  if (code !== 0) throw new Error(`the unpack-over-HTTP child exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as ChildResult;
}

/** A release artifact (stored gzip: quick to make) holding one file of `bytes`, on disk. */
async function bigFileArtifact(root: string, bytes: number): Promise<{ file: string; expected: { sha256: string; size: number } }> {
  const tree = path.join(root, 'tree');
  await mkdir(tree);
  const handle = await open(path.join(tree, 'big.bin'), 'w');
  try {
    const block = Buffer.alloc(MiB);
    for (let offset = 0; offset < bytes; offset += MiB) {
      block.writeUInt32LE(offset / MiB, 0);
      await handle.write(block, 0, Math.min(MiB, bytes - offset));
    }
  } finally {
    await handle.close();
  }
  const file = path.join(root, 'artifact.tar.gz');
  await createTar({ gzip: { level: 0 }, file, cwd: tree, portable: true }, ['big.bin']);
  return { file, expected: { sha256: await sha256File(file), size: await fileSize(file) } };
}
