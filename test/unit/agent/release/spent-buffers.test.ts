import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { onInputConsumed, SpentBuffers } from '../../../../agent/release/spent-buffers';

/** Node 22 and later have ArrayBuffer.prototype.transfer (Node 20 has not: nothing is freed there). */
const canFree = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

describe('SpentBuffers', () => {
  it(`frees an ArrayBuffer once every byte of it was handed over as spent${canFree ? '' : ' (Node 20: never, no ArrayBuffer.prototype.transfer)'}`, () => {
    const spent = new SpentBuffers();
    const whole = Buffer.allocUnsafeSlow(128 * 1024);
    const first = whole.subarray(0, 100_000);
    const rest = whole.subarray(100_000);

    spent.spent(first);
    expect(whole.buffer.byteLength).toBe(128 * 1024);
    expect(spent.freedBytes).toBe(0);

    spent.spent(rest);
    expect(whole.buffer.byteLength).toBe(canFree ? 0 : 128 * 1024);
    expect(whole.length).toBe(canFree ? 0 : 128 * 1024);
    expect(spent.freedBytes).toBe(canFree ? 128 * 1024 : 0);
  });

  it('never frees a buffer smaller than 64 KiB (it may be a slice of Node\'s shared pool)', () => {
    const spent = new SpentBuffers();
    const small = Buffer.allocUnsafeSlow(64 * 1024 - 1);
    spent.spent(small);
    const pooled = Buffer.allocUnsafe(100);
    spent.spent(pooled);

    expect(small.length).toBe(64 * 1024 - 1);
    expect(pooled.length).toBe(100);
    expect(spent.freedBytes).toBe(0);
  });

  it('never frees memory shared with other threads (a SharedArrayBuffer)', () => {
    const spent = new SpentBuffers();
    const shared = Buffer.from(new SharedArrayBuffer(128 * 1024));
    spent.spent(shared);

    expect(shared.length).toBe(128 * 1024);
    expect(spent.freedBytes).toBe(0);
  });
});

describe('onInputConsumed', () => {
  it('reports each chunk gunzip was written once zlib read all of it, in order, and the output stays whole', async () => {
    const original = randomBytes(3 * 1024 * 1024);
    const gzipped = gzipSync(original);
    const pieces = [gzipped.subarray(0, 1_000_000), gzipped.subarray(1_000_000, 2_000_000), gzipped.subarray(2_000_000)].map((piece) => Buffer.from(piece));
    const lengths = pieces.map((piece) => piece.length);
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    const consumed: { readonly chunk: Buffer; readonly length: number }[] = [];
    // Freed as soon as reported: zlib reading one of them later would fail or corrupt the output.
    const spent = new SpentBuffers();
    onInputConsumed(gunzip, (chunk) => {
      consumed.push({ chunk, length: chunk.length });
      chunk.fill(0xee);
      spent.spent(chunk);
    });
    const output: Buffer[] = [];
    await pipeline(
      Readable.from(pieces),
      gunzip,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          output.push(Buffer.from(chunk));
          callback();
        },
      }),
    );

    // zlib's flush at the end goes through the same path with an empty chunk.
    const reported = consumed.filter((report) => report.length > 0);
    expect(reported.length).toBe(pieces.length);
    expect(reported.every((report, index) => report.chunk === pieces[index] && report.length === lengths[index])).toBe(true);
    expect(Buffer.concat(output).equals(original)).toBe(true);
    expect(spent.freedBytes).toBe(canFree ? gzipped.length : 0);
  });

  it('does not report a chunk gunzip refused', async () => {
    const gunzip = createGunzip();
    const consumed: Buffer[] = [];
    onInputConsumed(gunzip, (chunk) => consumed.push(chunk));
    const garbage = Buffer.from('this is not gzip at all, not even close');

    await expect(pipeline(Readable.from([garbage]), gunzip, new Writable({ write: (_chunk, _encoding, callback) => callback() }))).rejects.toMatchObject({
      code: 'Z_DATA_ERROR',
    });
    expect(consumed).toEqual([]);
  });
});
