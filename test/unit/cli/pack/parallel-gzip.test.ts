import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip } from '../../../../cli/pack/parallel-gzip';
import { withTimeout } from '../../../support/with-timeout';

async function gzipped(input: Buffer, gzip: ParallelGzip, chunkBytes = 100_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const source = Readable.from(
    (function* pieces() {
      for (let offset = 0; offset < input.length; offset += chunkBytes) yield input.subarray(offset, offset + chunkBytes);
    })(),
  );
  await withTimeout(
    pipeline(
      source,
      gzip,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    ),
    20_000,
    'compressing',
  );
  return Buffer.concat(chunks);
}

/** gzip members in `bytes`: each starts with the magic 1f 8b 08, at offset 0 or right after the previous member. */
function memberCount(bytes: Buffer): number {
  let count = 0;
  for (let offset = bytes.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); offset !== -1; offset = bytes.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), offset + 1)) {
    count += 1;
  }
  return count;
}

describe('ParallelGzip', () => {
  test('compresses blocks side by side into members that gunzip reads back in order as one stream', async () => {
    const text = Buffer.from('const answer = 42; // the same line again and again\n'.repeat(40_000));
    const input = Buffer.concat([text, randomBytes(300_000), text]);

    const output = await gzipped(input, new ParallelGzip({ blockBytes: 256 * 1024, concurrency: 3 }));

    expect(gunzipSync(output).equals(input)).toBe(true);
    expect(memberCount(output)).toBeGreaterThanOrEqual(Math.ceil(input.length / (256 * 1024)));
    expect(output.length).toBeLessThan(input.length / 2);
  });

  test('writes a valid, empty gzip for an empty input', async () => {
    const output = await gzipped(Buffer.alloc(0), new ParallelGzip());

    expect(output.length).toBeGreaterThan(0);
    expect(gunzipSync(output).length).toBe(0);
  });
});
