import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarSink } from '../../../../agent/release/tar-sink';
import { TarReader } from '../../../../agent/release/tar/tar-reader';
import { END_MARKER, rawFile } from '../../../support/tar-diff/raw-tar';

/** A TarSink over a TarReader that records file paths; `spent` records what it was handed. */
function sinkRecording(): { sink: TarSink; paths: string[]; spent: Buffer[] } {
  const paths: string[] = [];
  const spent: Buffer[] = [];
  const reader = new TarReader({
    maxMetaEntryBytes: 1024 * 1024,
    handlers: {
      entry: (entry) => void paths.push(entry.path),
      data: () => undefined,
      end: () => undefined,
      ignored: () => undefined,
      eof: () => undefined,
    },
  });
  const sink = new TarSink({
    reader,
    failure: (error) => (error instanceof Error ? error : new Error(String(error))),
    maxInflatedBytes: 1024 * 1024,
    maxTrailingBytes: 10 * 1024,
    settled: () => Promise.resolve(),
    spent: (chunk) => void spent.push(chunk),
  });
  return { sink, paths, spent };
}

describe('TarSink', () => {
  it('hands every chunk to spent once, in order, after the reader parsed it (the padding after the end marker too)', async () => {
    const tar = Buffer.concat([rawFile('a.txt', 'a'.repeat(700)), rawFile('b.txt', 'b'), END_MARKER, Buffer.alloc(2048)]);
    const chunks = [tar.subarray(0, 700), tar.subarray(700, 1600), tar.subarray(1600, 3000), tar.subarray(3000)].map((chunk) => Buffer.from(chunk));
    const { sink, paths, spent } = sinkRecording();

    await pipeline(Readable.from(chunks), sink);

    expect(paths).toEqual(['a.txt', 'b.txt']);
    expect(spent).toHaveLength(chunks.length);
    expect(spent.every((chunk, index) => chunk === chunks[index])).toBe(true);
  });

  it('hands nothing to spent from a chunk the reader refused (the unpack is failing; the collector frees it)', async () => {
    const bad = rawFile('c.txt', 'c');
    bad.write('zz', 148, 'latin1'); // a checksum field that is not octal
    const { sink, spent } = sinkRecording();

    await expect(pipeline(Readable.from([bad]), sink)).rejects.toMatchObject({ code: 'TAR_ENTRY_INVALID' });
    expect(spent).toEqual([]);
  });
});
