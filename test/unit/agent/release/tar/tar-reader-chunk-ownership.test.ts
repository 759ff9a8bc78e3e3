/**
 * TarReader keeps no view of a chunk once its `write` returned: TarSink hands each parsed chunk
 * to `spent`, and unpackRelease then frees gunzip's buffers at once (spent-buffers.ts), so a view
 * kept past `write` would read freed (detached, length 0) memory. Here every chunk is a private
 * copy, scribbled over right after `write`: the events must be exactly those of an untouched run,
 * in every chunking (headers, meta headers and data split anywhere, held across writes).
 */
import { TarReader } from '../../../../../agent/release/tar/tar-reader';
import { compareReaders, describeDivergence, type DifferentialCase } from '../../../../support/tar-diff/differential-case';
import { malformedArchives } from '../../../../support/tar-diff/malformed-archives';
import { metaHeaderArchives } from '../../../../support/tar-diff/meta-header-archives';
import { regressionArchives } from '../../../../support/tar-diff/regression-archives';
import type { TarReaderFactory } from '../../../../support/tar-diff/tar-events';
import { randomLike } from '../../../../support/tar-diff/differential-case';
import { rawEntry, rawFile, rawPax, END_MARKER } from '../../../../support/tar-diff/raw-tar';

const SCRIBBLE = 0xee;

const untouched: TarReaderFactory = (options) => new TarReader(options);

/** A TarReader written private copies of each chunk, each scribbled over once `write` returned. */
const scribbledAfterWrite: TarReaderFactory = (options) => {
  const reader = new TarReader(options);
  return {
    write(chunk: Buffer): void {
      const own = Buffer.from(chunk);
      try {
        reader.write(own);
      } finally {
        own.fill(SCRIBBLE);
      }
    },
    end: () => reader.end(),
  };
};

/** Files, a long pax path, a GNU long name and big data: what a release holds, split anywhere. */
function releaseLike(): DifferentialCase {
  const longPath = `${'d'.repeat(120)}/${'e'.repeat(120)}/long-name.js`;
  const parts = [
    rawEntry('5', 'app/', ''),
    rawFile('app/index.js', 'module.exports = 1;\n'),
    rawPax('x', [['path', longPath]]),
    rawFile('placeholder', 'pax-named body\n'),
    rawEntry('L', '././@LongLink', `${'g'.repeat(150)}/gnu-long.txt\0`),
    rawFile('placeholder2', 'gnu-named body\n'),
    rawEntry('0', 'app/data.bin', randomLike(70_000, 7)),
    rawEntry('2', 'app/link', '', { linkname: 'index.js' }),
    END_MARKER,
  ];
  return { name: 'release-like', tar: Buffer.concat(parts) };
}

describe('TarReader keeps no view of a chunk past write (TarSink frees parsed chunks)', () => {
  const cases = [releaseLike(), ...metaHeaderArchives(), ...regressionArchives(), ...malformedArchives()];

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s: the same events with every chunk scribbled over after write', (_name, testCase) => {
    const { divergence, events } = compareReaders(untouched, scribbledAfterWrite, testCase);
    if (divergence !== undefined) throw new Error(describeDivergence(testCase.name, divergence));
    expect(events.length).toBeGreaterThan(0);
  });

  it('the release-like archive really spans chunks: entries, data and eof, no refusal', () => {
    const { events } = compareReaders(untouched, scribbledAfterWrite, releaseLike());
    const kinds = events.map((event) => event.event);
    expect(kinds.filter((kind) => kind === 'entry')).toHaveLength(6);
    expect(kinds).toContain('eof');
    expect(kinds).not.toContain('error');
    expect(kinds).not.toContain('broken');
  });
});
