/**
 * decodePlainHeader is the fast path of TarReader: for every header it accepts it must give
 * exactly what node-tar's Header + ReadEntry give. Checked on ordinary headers and on seeded
 * byte mutations of them (each mutation either declined, or decoded identically).
 */
import { Header, ReadEntry } from 'tar';
import { decodePlainHeader } from '../../../../../agent/release/tar/plain-header';
import { TYPE, ustarHeader, withChecksum as setChecksum, type HeaderFields } from '../../../../support/hostile-tar';

/** What node-tar makes of a header block, in decodePlainHeader's terms. */
function nodeTarView(block: Buffer): Record<string, unknown> | undefined {
  const header = new Header(block, 0);
  if (header.nullBlock || !header.path) return undefined;
  const entry = new ReadEntry(header);
  return {
    path: entry.path,
    typeKey: header.typeKey,
    size: entry.size,
    mode: entry.mode,
    linkpath: entry.linkpath,
    cksumValid: header.cksumValid,
  };
}

function expectSameAsNodeTar(block: Buffer): boolean {
  const plain = decodePlainHeader(block, 0);
  if (plain === undefined) return false;
  expect({ ...plain }).toEqual(nodeTarView(block));
  return true;
}

/** A small seeded PRNG (mulberry32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `block` with its checksum made right. */
function checksummed(block: Buffer): Buffer {
  return setChecksum(Buffer.from(block));
}

/** The same header with GNU tar's magic (`ustar  \0`, no version). */
function gnu(block: Buffer): Buffer {
  const copy = Buffer.from(block);
  copy.write('ustar  \0', 257, 'latin1');
  return checksummed(copy);
}

const ORDINARY: readonly HeaderFields[] = [
  { path: 'server.js', type: TYPE.file, size: 1234, mode: 0o644 },
  { path: 'node_modules/a/b/index.js', type: TYPE.file, size: 0, mode: 0o755 },
  { path: 'public/', type: TYPE.dir, size: 0, mode: 0o755 },
  { path: 'dir-as-file/', type: TYPE.file, size: 0, mode: 0o755 },
  { path: 'lib', type: TYPE.symlink, size: 0, mode: 0o777, linkpath: 'dist/lib' },
  { path: 'copy.js', type: TYPE.hardlink, size: 0, mode: 0o644, linkpath: 'server.js' },
  { path: 'setuid', type: TYPE.file, size: 8, mode: 0o4755 },
  { path: 'big.bin', type: TYPE.file, size: 8 ** 11 - 1, mode: 0o600 },
];

describe('decodePlainHeader', () => {
  test.each(ORDINARY.map((fields) => [fields.path, fields] as const))('decodes %s exactly as node-tar does', (_name, fields) => {
    expect(expectSameAsNodeTar(ustarHeader(fields))).toBe(true);
  });

  test('decodes a path split into the ustar prefix and name exactly as node-tar does (130- and 155-byte prefix)', () => {
    for (const prefixLength of [40, 140, 155]) {
      const block = ustarHeader({ path: 'name.js', type: TYPE.file, size: 3, mode: 0o644 });
      block.write('p'.repeat(prefixLength), 345, 'latin1');
      expect(expectSameAsNodeTar(checksummed(block))).toBe(true);
    }
  });

  test("decodes a GNU tar header ('ustar  \\0' magic) exactly as node-tar does: no prefix read, whatever those bytes hold", () => {
    for (const fields of ORDINARY) {
      const block = gnu(ustarHeader(fields));
      block.write('ignored-prefix-and-times', 345, 'latin1');
      expect(expectSameAsNodeTar(checksummed(block))).toBe(true);
    }
  });

  test('decodes a header with a wrong checksum as node-tar does (cksumValid false)', () => {
    const block = ustarHeader({ path: 'a.js', type: TYPE.file, size: 3, mode: 0o644 });
    block.write('000001\0 ', 148, 'latin1');
    expect(expectSameAsNodeTar(block)).toBe(true);
    expect(decodePlainHeader(block, 0)?.cksumValid).toBe(false);
  });

  test('declines what is not plain: pax and GNU types, other magics, non-ASCII, bytes after a NUL, base-256, no checksum terminator, empty path', () => {
    const base = (): Buffer => ustarHeader({ path: 'a.js', type: TYPE.file, size: 3, mode: 0o644 });
    const cases: ((block: Buffer) => void)[] = [
      (block) => block.write('x', 156, 'latin1'),
      (block) => block.write('L', 156, 'latin1'),
      (block) => block.write('3', 156, 'latin1'),
      (block) => block.write('ustar \0\0', 257, 'latin1'),
      (block) => block.fill(0, 257, 265),
      (block) => block.write('\u00e9', 0, 'utf8'),
      (block) => block.write('a.js\0b\nc', 0, 'latin1'),
      (block) => {
        block[124] = 0x80;
      },
      (block) => block.fill(0, 0, 100),
      (block) => block.write(' 000644\0', 100, 'latin1'),
      (block) => {
        block[108] = 0x80;
      },
      (block) => {
        block[476] = 0xff;
      },
    ];
    for (const mutate of cases) {
      const block = base();
      mutate(block);
      expect(decodePlainHeader(checksummed(block), 0)).toBeUndefined();
    }
    const unterminated = base();
    unterminated.write('00000000', 148, 'latin1');
    expect(decodePlainHeader(unterminated, 0)).toBeUndefined();
  });

  test('seeded byte mutations of ordinary headers: each one declined or decoded exactly as node-tar does', () => {
    const random = prng(0x5eed);
    let decoded = 0;
    let declined = 0;
    const fieldStarts = [0, 99, 100, 107, 124, 135, 148, 155, 156, 157, 257, 263, 345, 474, 475, 499];
    for (let round = 0; round < 3_000; round++) {
      const fields = ORDINARY[Math.floor(random() * ORDINARY.length)] as HeaderFields;
      const block = random() < 0.3 ? gnu(ustarHeader(fields)) : ustarHeader(fields);
      const edits = 1 + Math.floor(random() * 3);
      for (let edit = 0; edit < edits; edit++) {
        const near = fieldStarts[Math.floor(random() * fieldStarts.length)] as number;
        const at = Math.min(511, near + Math.floor(random() * 8));
        const pool = [0, 0x20, 0x30, 0x37, 0x38, 0x2f, 0x0a, 0x41, 0x80, 0xff, Math.floor(random() * 256)];
        block[at] = pool[Math.floor(random() * pool.length)] as number;
      }
      const final = random() < 0.7 ? checksummed(block) : block;
      try {
        if (expectSameAsNodeTar(final)) decoded += 1;
        else declined += 1;
      } catch (error: unknown) {
        throw new Error(`round ${round} (${final.subarray(0, 512).toString('base64')}): ${String(error)}`);
      }
    }
    // Both ways taken: the comparison is not vacuous.
    expect(decoded).toBeGreaterThan(200);
    expect(declined).toBeGreaterThan(200);
  });
});
