/**
 * Seeded header fuzz: copies of a valid archive with 1-3 of its headers damaged (type flag,
 * size, checksum, magic, prefix, name, any number field in any encoding, bytes after a string's
 * NUL, any byte), the checksum recomputed or not, sometimes cut short. Case `index` of seed `seed` is the same bytes on every run.
 */
import { BLOCK, FIELD, base256, octal, writeChecksum } from './raw-tar';
import { SeededRandom } from './differential-case';

/** Offsets of the header blocks of a well-formed (octal-sized) archive, up to its end marker. */
export function headerOffsets(tar: Buffer): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    offsets.push(offset);
    const size = parseInt(block.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim(), 8) || 0;
    const type = String.fromCharCode(block[156] ?? 0);
    offset += BLOCK + (type === '5' ? 0 : Math.ceil(size / BLOCK) * BLOCK);
  }
  return offsets;
}

const TYPE_FLAGS = ['0', '\0', '1', '2', '3', '4', '5', '6', '7', 'g', 'x', 'X', 'L', 'K', 'N', 'S', 'V', 'A', 'D', 'M', 'I', 'Z', ' ', '\xff'];
const MAGICS = ['ustar\x0000', 'ustar  \0', '\0\0\0\0\0\0\0\0', 'USTAR\x0000', 'ustar\x00  '];

const NUMBER_FIELDS = ['mode', 'uid', 'gid', 'size', 'mtime', 'chksum', 'devmajor', 'devminor', 'atime', 'ctime'] as const;

type Mutation = (header: Buffer, random: SeededRandom) => string;

const put = (header: Buffer, field: keyof typeof FIELD, value: Buffer | string): void => {
  const [offset, length] = FIELD[field];
  header.fill(0, offset, offset + length);
  (typeof value === 'string' ? Buffer.from(value, 'latin1') : value).copy(header, offset, 0, length);
};

const MUTATIONS: readonly Mutation[] = [
  (header, random) => {
    const type = random.pick(TYPE_FLAGS);
    put(header, 'typeflag', type);
    return `typeflag=${JSON.stringify(type)}`;
  },
  (header, random) => {
    const choice = random.int(0, 5);
    const size = random.pick([0, 1, 511, 512, 513, 1024, 4096, 99_999, random.int(0, 3000)]);
    const value =
      choice === 0 ? octal(size, 12)
      : choice === 1 ? base256(size, 12)
      : choice === 2 ? base256(-size - 1, 12)
      : choice === 3 ? `${size.toString(8)}x\0`
      : choice === 4 ? ` ${size.toString(8)} `
      : Buffer.from(Array.from({ length: 12 }, () => random.int(0, 255)));
    put(header, 'size', value);
    return `size=${JSON.stringify(value.toString('latin1'))}`;
  },
  (header, random) => {
    const at = random.int(148, 155);
    header[at] = random.int(0, 255);
    return `checksum byte ${at}`;
  },
  (header, random) => {
    const magic = random.pick(MAGICS);
    header.write(magic, 257, 'latin1');
    return `magic=${JSON.stringify(magic)}`;
  },
  (header, random) => {
    const length = random.pick([0, 10, 130, 131, 154, 155]);
    put(header, 'prefix', 'x'.repeat(length));
    if (random.chance(0.3)) header[475] = random.int(0, 255);
    return `prefix of ${length}, byte 475=${header[475]}`;
  },
  (header, random) => {
    const name = random.pick(['', '/', 'a/', './', '../x', 'dir/', 'n'.repeat(100), 'a\0b']);
    put(header, 'name', name);
    return `name=${JSON.stringify(name)}`;
  },
  (header, random) => {
    const link = random.pick(['', 'target', 'l'.repeat(100)]);
    put(header, 'linkname', link);
    return `linkname=${JSON.stringify(link)}`;
  },
  (header, random) => {
    const field = random.pick(NUMBER_FIELDS);
    const [, length] = FIELD[field];
    const value = random.int(0, 0o7777);
    const encoded = random.pick<Buffer | string>([
      octal(value, length),
      value.toString(8).padStart(length, '0'),
      ` ${value.toString(8)} `,
      `${value.toString(8)}\0${random.int(0, 7)}`,
      `${value.toString(8)}\0x\ny`,
      `${value.toString(8)}9`,
      base256(value, length),
      base256(-value - 1, length),
      Buffer.from([random.pick([0x80, 0x81, 0xbf, 0xc0, 0xfe, 0xff]), ...Array.from({ length: length - 1 }, () => random.int(0, 255))]),
    ]);
    put(header, field, encoded);
    return `${field}=${JSON.stringify(Buffer.from(encoded).toString('latin1'))}`;
  },
  (header, random) => {
    const field = random.pick(['name', 'linkname', 'prefix'] as const);
    const [offset, length] = FIELD[field];
    const at = offset + random.int(0, length - 1);
    const tail = random.pick(['\0x', '\0\nz', '\n', '\xc3', '\0\0\0\xff']);
    header.write(tail, at, Math.min(tail.length, offset + length - at), 'latin1');
    return `${field} byte ${at - offset}=${JSON.stringify(tail)}`;
  },
  (header, random) => {
    const at = random.int(0, BLOCK - 1);
    const byte = random.int(0, 255);
    header[at] = byte;
    return `byte ${at}=${byte}`;
  },
];

export interface FuzzCase {
  readonly index: number;
  readonly what: string;
  readonly tar: Buffer;
}

/** `count` damaged copies of `base`, from `seed`. Copies that start with the gzip magic are redrawn. */
export function fuzzCases(base: Buffer, seed: number, count: number): FuzzCase[] {
  const random = new SeededRandom(seed);
  const offsets = headerOffsets(base);
  if (offsets.length === 0) throw new Error('the fuzz base archive has no headers');
  const cases: FuzzCase[] = [];
  while (cases.length < count) {
    const tar = Buffer.from(base);
    const what: string[] = [];
    for (let n = random.int(1, 3); n > 0; n -= 1) {
      const offset = random.pick(offsets);
      const header = tar.subarray(offset, offset + BLOCK);
      const mutation = random.pick(MUTATIONS);
      what.push(`@${offset} ${mutation(header, random)}`);
      if (random.chance(0.7)) writeChecksum(header, 'unsigned');
      else what.push('checksum not recomputed');
    }
    let bytes: Buffer = tar;
    if (random.chance(0.1)) {
      const cut = random.int(0, tar.length - 1);
      bytes = tar.subarray(0, cut);
      what.push(`cut at ${cut}`);
    }
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) continue;
    cases.push({ index: cases.length, what: what.join('; '), tar: bytes });
  }
  return cases;
}
