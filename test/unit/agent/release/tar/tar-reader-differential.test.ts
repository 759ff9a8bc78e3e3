/**
 * TarReader against node-tar's strict Parser (as unpack-release.ts configured it), on generated,
 * hostile and fuzzed archives, each fed whole, in 512-byte blocks, in seeded random pieces (and,
 * when small and not fuzzed, a byte at a time):
 * equal event lists (entries with their data's sha256, ignored entries, eof, the first error's
 * code and message) mean the reader is a drop-in for the parser behind the same checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TarReader } from '../../../../../agent/release/tar/tar-reader';
import { NodeTarReader } from '../../../../support/tar-diff/node-tar-reader';
import {
  DEFAULT_MAX_META_ENTRY_BYTES,
  chunkingsFor,
  compareReaders,
  describeDivergence,
  seedOf,
  type DifferentialCase,
} from '../../../../support/tar-diff/differential-case';
import { nodeTarArchives, packedBenchTree, systemTarArchives } from '../../../../support/tar-diff/generated-archives';
import { fuzzCases } from '../../../../support/tar-diff/header-fuzz';
import { malformedArchives } from '../../../../support/tar-diff/malformed-archives';
import { regressionArchives } from '../../../../support/tar-diff/regression-archives';
import { recordEvents, type TarEvent, type TarReaderFactory } from '../../../../support/tar-diff/tar-events';
import { tarOf, TYPE } from '../../../../support/hostile-tar';

const nodeTar: TarReaderFactory = (options) => new NodeTarReader(options);
const tarReader: TarReaderFactory = (options) => new TarReader(options);

/** The reference events of `testCase`, after checking both readers agree in every chunking. */
function expectEquivalent(testCase: DifferentialCase, subject: TarReaderFactory = tarReader): TarEvent[] {
  const { divergence, events } = compareReaders(nodeTar, subject, testCase);
  if (divergence !== undefined) throw new Error(describeDivergence(testCase.name, divergence));
  return events;
}

const entryPaths = (events: readonly TarEvent[]): string[] => events.flatMap((event) => (event.event === 'entry' ? [event.path] : []));
const last = (events: readonly TarEvent[]): TarEvent | undefined => events[events.length - 1];

describe('generated archives', () => {
  let workDir: string | undefined;
  const generated = new Map<string, DifferentialCase>();
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'deployctl-tar-diff-'));
    workDir = dir;
    const cases = [...(await systemTarArchives(dir)), ...(await nodeTarArchives(dir)), await packedBenchTree(dir)];
    for (const testCase of cases) generated.set(testCase.name, testCase);
  }, 120_000);
  afterAll(async () => {
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  const casesNamed = (prefix: string): DifferentialCase[] => {
    const found = [...generated.values()].filter((testCase) => testCase.name.startsWith(prefix));
    if (found.length === 0) throw new Error(`no generated archive named ${prefix}…`);
    return found;
  };
  const longPath = `${'d'.repeat(200)}/${'e'.repeat(200)}/${'f'.repeat(150)}.txt`;

  test.each(['gnu', 'oldgnu', 'pax'])('GNU tar --format=%s (long names and link targets, base-256 uid/mtime) reads the same', (format) => {
    for (const testCase of casesNamed(`GNU tar --format=${format}`)) {
      const events = expectEquivalent(testCase);
      expect(entryPaths(events)).toEqual(expect.arrayContaining([`./${longPath}`, './unicode/héllo-日本語-🚀.txt', './hard-link.bin']));
      expect(last(events)).toEqual({ event: 'eof' });
    }
  });

  test.each(['ustar', 'v7'])('GNU tar --format=%s reads the same', (format) => {
    for (const testCase of casesNamed(`GNU tar --format=${format}`)) {
      const events = expectEquivalent(testCase);
      expect(entryPaths(events)).toEqual(expect.arrayContaining(['./big/300k.bin', './src/pkg-link']));
      expect(last(events)).toEqual({ event: 'eof' });
    }
  });

  test("node-tar's own archives (portable and not) read the same", () => {
    for (const testCase of casesNamed('node-tar create')) {
      const events = expectEquivalent(testCase);
      expect(entryPaths(events)).toEqual(expect.arrayContaining([`./${longPath}`]));
      expect(last(events)).toEqual({ event: 'eof' });
    }
  });

  test('packDirectory of the bench tree shape (many small files in nested dirs) reads the same', () => {
    const [testCase] = casesNamed('packDirectory');
    if (testCase === undefined) throw new Error('no packDirectory archive');
    const events = expectEquivalent(testCase);
    expect(entryPaths(events).length).toBeGreaterThan(100);
    expect(last(events)).toEqual({ event: 'eof' });
  });
});

describe('archives of the unpacker regression tests', () => {
  test.each(regressionArchives().map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    expectEquivalent(testCase);
  });
});

describe('malformed archives', () => {
  test.each(malformedArchives().map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    expectEquivalent(testCase);
  });
});

describe('header fuzz', () => {
  const bases: readonly DifferentialCase[] = [
    {
      name: 'hostile-tar files, dir, links',
      tar: tarOf([
        { path: 'a.txt', body: 'alpha\n' },
        { path: 'dir/', type: TYPE.dir },
        { path: 'dir/b.bin', body: Buffer.alloc(1500, 0x62) },
        { path: 'sym', type: TYPE.symlink, linkpath: 'a.txt' },
        { path: 'hard', type: TYPE.hardlink, linkpath: 'a.txt' },
        { path: 'c.txt', body: 'gamma\n' },
      ]),
    },
    { name: 'pax long names', tar: tarOf([{ path: `${'long/'.repeat(30)}file.txt`, body: 'x'.repeat(700) }, { path: 'ü-name', body: 'u' }]) },
    ...malformedArchives().filter((testCase) => ["GNU 'L' long name", "'x' then 'L' then a file"].includes(testCase.name)),
    ...malformedArchives().filter((testCase) => testCase.name.startsWith('global pax')),
  ];
  const SEED = 0x7a2d1f;
  const PER_BASE = 80;

  test.each(bases.map((base, index) => [base.name, base, index] as const))(
    `${PER_BASE} damaged copies of: %s`,
    (_name, base, baseIndex) => {
      const seed = SEED + baseIndex;
      const failures: string[] = [];
      for (const fuzz of fuzzCases(base.tar, seed, PER_BASE)) {
        const name = `fuzz seed ${seed} case ${fuzz.index} (${fuzz.what})`;
        // Not a byte at a time: 400 cases of that would take seconds; the named cases have it.
        const chunkings = chunkingsFor(seedOf(name), fuzz.tar.length, 0);
        const { divergence } = compareReaders(nodeTar, tarReader, { name, tar: fuzz.tar }, chunkings);
        if (divergence !== undefined) failures.push(describeDivergence(name, divergence));
      }
      if (failures.length > 0) throw new Error(`${failures.length} of ${PER_BASE} cases differ; the first three:\n${failures.slice(0, 3).join('\n\n')}`);
    },
  );

  test('the fuzz covers at least 300 cases that end in different ways', () => {
    const outcomes = new Set<string>();
    let cases = 0;
    bases.forEach((base, baseIndex) => {
      for (const fuzz of fuzzCases(base.tar, SEED + baseIndex, PER_BASE)) {
        cases += 1;
        const end = last(recordEvents(nodeTar, fuzz.tar, [], DEFAULT_MAX_META_ENTRY_BYTES));
        outcomes.add(end?.event === 'error' ? end.code : (end?.event ?? 'nothing'));
      }
    });
    expect(cases).toBeGreaterThanOrEqual(300);
    expect([...outcomes]).toEqual(expect.arrayContaining(['eof', 'TAR_ENTRY_INVALID', 'TAR_BAD_ARCHIVE']));
  });
});

describe('the harness', () => {
  const sample: DifferentialCase = { name: 'sample', tar: tarOf([{ path: 'a', body: 'abc' }, { path: 'b', body: 'def' }]) };

  test('reports a reader that loses the last byte of an entry', () => {
    const lossy: TarReaderFactory = (options) =>
      new NodeTarReader({ ...options, handlers: { ...options.handlers, data: (chunk) => options.handlers.data(chunk.subarray(0, -1)) } });

    expect(() => expectEquivalent(sample, lossy)).toThrow(/sample: readers differ at event 1/);
  });

  test('reports a reader that accepts what node-tar refuses', () => {
    const lenient: TarReaderFactory = (options) => {
      const inner = new NodeTarReader(options);
      return {
        write: (chunk) => {
          try {
            inner.write(chunk);
          } catch {
            // swallowed
          }
        },
        end: () => undefined,
      };
    };
    const truncated: DifferentialCase = { name: 'truncated', tar: sample.tar.subarray(0, 1000) };

    expect(() => expectEquivalent(truncated, lenient)).toThrow(/TAR_BAD_ARCHIVE/);
  });

  test('reports a reader that ends an entry twice', () => {
    const doubled: TarReaderFactory = (options) =>
      new NodeTarReader({
        ...options,
        handlers: {
          ...options.handlers,
          end: () => {
            options.handlers.end();
            options.handlers.end();
          },
        },
      });

    expect(() => expectEquivalent(sample, doubled)).toThrow(/end outside an entry/);
  });

  test('node-tar reports the quirks the corpus relies on', () => {
    const byName = new Map(malformedArchives().map((testCase) => [testCase.name, testCase]));
    const eventsOf = (name: string): TarEvent[] => {
      const testCase = byName.get(name);
      if (testCase === undefined) throw new Error(`no malformed archive named ${name}`);
      return expectEquivalent(testCase);
    };

    expect(last(eventsOf('bad checksum'))).toMatchObject({ event: 'error', code: 'TAR_ENTRY_INVALID' });
    expect(last(eventsOf('base-256 size beyond the safe integers'))).toMatchObject({ event: 'error', code: 'TAR_ENTRY_INVALID' });
    expect(last(eventsOf('size larger than the data left (truncated body)'))).toMatchObject({ event: 'error', code: 'TAR_BAD_ARCHIVE' });
    expect(eventsOf("global pax 'g' with path, linkpath, size and mode (applied to later entries)")).toContainEqual(
      expect.objectContaining({ event: 'entry', path: 'second', size: 5, linkpath: 'global-link' }),
    );
    expect(eventsOf("'x' with a size over maxMetaEntryBytes, then 'L': the L is ignored")).toContainEqual(
      expect.objectContaining({ event: 'ignored', meta: true }),
    );
  });
});
