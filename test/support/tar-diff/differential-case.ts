/**
 * One archive of the differential corpus, the chunkings each is fed in, and the seeded PRNG that
 * makes the random chunkings and the fuzz reproducible.
 */
import { firstDifference, recordEvents, type TarEvent, type TarReaderFactory } from './tar-events';

export interface DifferentialCase {
  readonly name: string;
  /** Uncompressed tar bytes (never starting with the gzip magic: TarSink refuses those first). */
  readonly tar: Buffer;
  /** @default DEFAULT_MAX_META_ENTRY_BYTES */
  readonly maxMetaEntryBytes?: number;
}

/** A small maxMetaEntryBytes, for meta headers over the limit without megabytes of input. */
export const SMALL_META = 1024;

/** A case of `parts` concatenated. */
export function archive(name: string, parts: readonly Buffer[], maxMetaEntryBytes?: number): DifferentialCase {
  return { name, tar: Buffer.concat(parts), ...(maxMetaEntryBytes === undefined ? {} : { maxMetaEntryBytes }) };
}

/** node-tar's default, and the agent's MAX_META_ENTRY_BYTES. */
export const DEFAULT_MAX_META_ENTRY_BYTES = 1024 * 1024;

/** xorshift32: a few lines, the same sequence everywhere. `seed` 0 is replaced by 1. */
export class SeededRandom {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0 || 1;
  }

  nextU32(): number {
    let x = this.#state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#state = x;
    return x;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + (this.nextU32() % (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  chance(probability: number): boolean {
    return this.nextU32() / 4294967296 < probability;
  }
}

/** Deterministic bytes that look random (never starting with the gzip magic). */
export function randomLike(length: number, seed = 1): Buffer {
  const random = new SeededRandom(seed);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = random.nextU32() & 0xff;
  if (bytes[0] === 0x1f) bytes[0] = 0x20;
  return bytes;
}

export interface Chunking {
  readonly name: string;
  /** Piece sizes, cycled; [] = the whole buffer in one write. */
  readonly sizes: readonly number[];
}

/** A stable 32-bit seed from a case name (FNV-1a), so each case gets its own random chunking. */
export function seedOf(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Archives up to this size are also fed a byte at a time (by default). */
export const BYTE_AT_A_TIME_MAX_BYTES = 16 * 1024;

/**
 * The whole buffer; 512-byte blocks; 64 random sizes from `seed`: mostly odd, some of 1-7
 * bytes (headers split anywhere), some up to 3 KiB (several blocks per write); and, for an
 * archive of at most `byteAtATimeMaxBytes`, one byte at a time.
 */
export function chunkingsFor(seed: number, tarBytes: number, byteAtATimeMaxBytes = BYTE_AT_A_TIME_MAX_BYTES): Chunking[] {
  const random = new SeededRandom(seed);
  const sizes = Array.from({ length: 64 }, () => (random.chance(0.3) ? random.int(1, 7) : random.int(1, 1536) * 2 - 1));
  return [
    { name: 'whole', sizes: [] },
    { name: '512-byte blocks', sizes: [512] },
    { name: `random sizes (seed ${seed})`, sizes },
    ...(tarBytes <= byteAtATimeMaxBytes ? [{ name: 'one byte at a time', sizes: [1] }] : []),
  ];
}

export interface Divergence {
  readonly chunking: string;
  readonly index: number;
  readonly reference: readonly TarEvent[];
  readonly subject: readonly TarEvent[];
}

/**
 * Runs `tar` through both readers in every chunking; the first chunking whose event lists differ,
 * or undefined when they agree on all. `reference` events are returned too, to check the corpus.
 */
export function compareReaders(
  reference: TarReaderFactory,
  subject: TarReaderFactory,
  testCase: DifferentialCase,
  chunkings: readonly Chunking[] = chunkingsFor(seedOf(testCase.name), testCase.tar.length),
): { divergence: Divergence | undefined; events: TarEvent[] } {
  const max = testCase.maxMetaEntryBytes ?? DEFAULT_MAX_META_ENTRY_BYTES;
  let events: TarEvent[] = [];
  for (const chunking of chunkings) {
    const expected = recordEvents(reference, testCase.tar, chunking.sizes, max);
    const actual = recordEvents(subject, testCase.tar, chunking.sizes, max);
    if (events.length === 0) events = expected;
    const index = firstDifference(expected, actual);
    if (index >= 0) return { divergence: { chunking: chunking.name, index, reference: expected, subject: actual }, events: expected };
  }
  return { divergence: undefined, events };
}

/** A divergence as text: where, and both event lists from a few events before it. */
export function describeDivergence(name: string, divergence: Divergence): string {
  const from = Math.max(0, divergence.index - 3);
  const show = (events: readonly TarEvent[]): string =>
    events
      .slice(from, divergence.index + 4)
      .map((event, offset) => `  ${from + offset}${from + offset === divergence.index ? ' *' : '  '} ${JSON.stringify(event)}`)
      .join('\n');
  return [
    `${name}: readers differ at event ${divergence.index} (chunking: ${divergence.chunking})`,
    `node-tar (${divergence.reference.length} events):`,
    show(divergence.reference),
    `TarReader (${divergence.subject.length} events):`,
    show(divergence.subject),
  ].join('\n');
}
