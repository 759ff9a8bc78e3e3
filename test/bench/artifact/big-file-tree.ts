import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { binaryContent, Vocabulary } from './content';
import { Prng } from './prng';
import type { GeneratedTree } from './release-tree';

const SEED = 0xb16_f11e;
const MiB = 1024 * 1024;
/** Distinct content the big file is cut from (more than gzip's 32 KiB window, so it compresses like its content). */
const POOL_BYTES = 8 * MiB;
const CHUNK_BYTES = 1 * MiB;

/**
 * The bench's second case: an app whose release is one big file (`data/big.bin`, `mib` MiB:
 * a bundle or a model file) next to package.json and server.js. Written a MiB at a time, cut
 * at seeded offsets from an 8 MiB pool of addon-like bytes (binaryContent): the same bytes on
 * every run, never held in memory whole. `dir` must not exist.
 */
export function generateBigFileTree(dir: string, mib: number): GeneratedTree {
  const prng = new Prng(SEED);
  const vocab = new Vocabulary(prng);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const small: readonly [string, Buffer][] = [
    ['package.json', Buffer.from(`${JSON.stringify({ name: 'bench-big', version: '1.0.0', private: true, main: 'server.js' }, null, 2)}\n`)],
    ['server.js', Buffer.from("'use strict';\nrequire('node:http').createServer((_req, res) => res.end('ok')).listen(process.env.PORT);\n")],
  ];
  let bytes = 0;
  for (const [name, content] of small) {
    const fd = openSync(path.join(dir, name), 'w');
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    bytes += content.length;
  }
  const pool = binaryContent(prng, vocab, POOL_BYTES);
  const size = Math.round(mib * MiB);
  const fd = openSync(path.join(dir, 'data', 'big.bin'), 'w');
  try {
    for (let written = 0; written < size; ) {
      const length = Math.min(CHUNK_BYTES, size - written);
      const offset = prng.int(0, POOL_BYTES - length);
      writeSync(fd, pool, offset, length);
      written += length;
    }
  } finally {
    closeSync(fd);
  }
  bytes += size;
  return { dir, files: small.length + 1, bytes, dirs: 2 };
}
