import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from '../../../../agent/fs/hashing-stream';

/** Streams `chunks` through `hashing`; resolves with the chunks it handed on. */
async function collect(chunks: readonly Buffer[], hashing: HashingStream): Promise<Buffer[]> {
  const received: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    hashing,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        callback();
      },
    }),
  );
  return received;
}

describe('HashingStream', () => {
  it('passes bytes through unchanged while computing their sha256 and count', async () => {
    const chunks = [randomBytes(70_000), randomBytes(1), Buffer.alloc(0), randomBytes(33_333)];
    const all = Buffer.concat(chunks);
    const seen: number[] = [];
    const hashing = new HashingStream({ onProgress: (bytes) => seen.push(bytes) });
    const received = await collect(chunks, hashing);

    expect(Buffer.concat(received).equals(all)).toBe(true);
    expect(hashing.bytes).toBe(all.length);
    expect(hashing.sha256).toBe(createHash('sha256').update(all).digest('hex'));
    expect(seen.at(-1)).toBe(all.length);
  });

  it('has no hash before the stream has ended', () => {
    const hashing = new HashingStream();
    hashing.write(Buffer.from('partial'));
    expect(hashing.sha256).toBeUndefined();
    hashing.destroy();
  });

  it('fails with the given error as soon as more than maxBytes arrive', async () => {
    const hashing = new HashingStream({ maxBytes: 10, tooLarge: (bytes) => new Error(`too large at ${bytes}`) });
    await expect(pipeline(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), hashing, new Writable({ write: (_c, _e, cb) => cb() }))).rejects.toThrow(
      'too large at 16',
    );
    expect(hashing.bytes).toBe(8);
  });

  it('hands small chunks on joined into chunks of at least outputChunkBytes, the last one smaller, every byte in order', async () => {
    const chunks = Array.from({ length: 40 }, (_unused, index) => Buffer.alloc(100 + index, index));
    const all = Buffer.concat(chunks);
    const hashing = new HashingStream({ outputChunkBytes: 1000 });
    const received = await collect(chunks, hashing);

    expect(Buffer.concat(received).equals(all)).toBe(true);
    expect(received.slice(0, -1).every((chunk) => chunk.length >= 1000)).toBe(true);
    expect(received.length).toBeLessThan(chunks.length / 5);
    expect(hashing.sha256).toBe(createHash('sha256').update(all).digest('hex'));
  });

  it('says which chunks it joined (its own memory) and which it passed on as the source gave them', async () => {
    const big = randomBytes(5000);
    const small = [Buffer.alloc(300, 1), Buffer.alloc(300, 2), Buffer.alloc(500, 3)];
    const hashing = new HashingStream({ outputChunkBytes: 1000 });
    const received = await collect([big, ...small, Buffer.alloc(10, 4)], hashing);

    expect(received[0]).toBe(big);
    expect(hashing.joined(big)).toBe(false);
    expect(received[1]?.length).toBe(1100);
    expect(hashing.joined(received[1] as Buffer)).toBe(true);
    // The last chunk, alone in the stream's hands at the end, is the source's own buffer.
    expect(received[2]?.length).toBe(10);
    expect(hashing.joined(received[2] as Buffer)).toBe(false);
  });
});
