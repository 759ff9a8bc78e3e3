/**
 * Raw 512-byte tar headers with every field given as the exact bytes to write (garbage octal,
 * base-256 numbers, no NUL, old GNU magic, a prefix), and a chosen checksum: the malformed
 * archives of the differential test. hostile-tar.ts builds well-formed headers; this does not.
 */
export const BLOCK = 512;

/** ustar field offsets and lengths (old GNU puts atime/ctime where ustar has the prefix's tail). */
export const FIELD = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
  atime: [476, 12],
  ctime: [488, 12],
} as const satisfies Record<string, readonly [number, number]>;

export type FieldName = keyof typeof FIELD;

/**
 * How the checksum field is written: 'unsigned' (the real one), 'signed' (bytes summed as int8,
 * what some old tars wrote), 'keep' (leave the field as given), or a number written as octal.
 */
export type ChecksumMode = 'unsigned' | 'signed' | 'keep' | number;

export interface RawHeaderOptions {
  /** Field bytes; a string is written as latin1 bytes, cut to the field. Unset fields get ustar defaults. */
  readonly fields?: Partial<Record<FieldName, string | Buffer>>;
  /** @default 'unsigned' */
  readonly checksum?: ChecksumMode;
}

const DEFAULTS: Partial<Record<FieldName, string>> = {
  name: 'file.txt',
  mode: '0000644\0',
  uid: '0000000\0',
  gid: '0000000\0',
  size: '00000000000\0',
  mtime: '14524155000\0',
  typeflag: '0',
  magic: 'ustar\0',
  version: '00',
  uname: 'root',
  gname: 'root',
};

export function rawHeader(options: RawHeaderOptions = {}): Buffer {
  const header = Buffer.alloc(BLOCK);
  const fields = { ...DEFAULTS, ...options.fields };
  for (const [name, value] of Object.entries(fields) as [FieldName, string | Buffer | undefined][]) {
    if (value === undefined) continue;
    const [offset, length] = FIELD[name];
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    header.fill(0, offset, offset + length);
    bytes.copy(header, offset, 0, Math.min(length, bytes.length));
  }
  writeChecksum(header, options.checksum ?? 'unsigned');
  return header;
}

/** Rewrites the checksum field of `header` (a view of 512 bytes) in place. */
export function writeChecksum(header: Buffer, mode: ChecksumMode): void {
  if (mode === 'keep') return;
  let sum = 0;
  if (typeof mode === 'number') {
    sum = mode;
  } else {
    header.fill(0x20, 148, 156);
    for (let i = 0; i < BLOCK; i += 1) {
      const byte = header[i] ?? 0;
      sum += mode === 'signed' && byte > 127 ? byte - 256 : byte;
    }
  }
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** An octal number field of `length` bytes, NUL-terminated, as tar writes it. */
export function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

/** A base-256 number field (GNU): 0x80 then big-endian bytes, or 0xff two's complement for negatives. */
export function base256(value: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let rest = BigInt(value) < 0n ? (1n << BigInt(8 * length)) + BigInt(value) : BigInt(value);
  for (let i = length - 1; i >= 1; i -= 1) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  bytes[0] = value < 0 ? 0xff : 0x80;
  return bytes;
}

/** `body` padded with zeros to whole blocks. */
export function blocksOf(body: Buffer | string): Buffer {
  const bytes = Buffer.from(body);
  const rest = bytes.length % BLOCK;
  return rest === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(BLOCK - rest)]);
}

/** A header of `type` announcing `body`, then the body in whole blocks. */
export function rawEntry(type: string, name: string, body: Buffer | string, fields: RawHeaderOptions['fields'] = {}): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.concat([
    rawHeader({ fields: { name, typeflag: type, size: octal(bytes.length, 12), ...fields } }),
    blocksOf(bytes),
  ]);
}

/** A pax record `"<len> key=value\n"` with its own length counted, from raw bytes. */
export function paxRecord(key: string, value: string): string {
  const tail = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(tail) + 1;
  while (String(length).length + Buffer.byteLength(tail) !== length) length += 1;
  return `${length}${tail}`;
}

/** Two zero blocks. */
export const END_MARKER = Buffer.alloc(2 * BLOCK);

/** A regular file ('0') entry; `fields` override the header's bytes (the size included). */
export function rawFile(name: string, body: string, fields: RawHeaderOptions['fields'] = {}): Buffer {
  return rawEntry('0', name, body, fields);
}

/** A pax header ('x' or 'g') of `records`, or of a raw body given as a string. */
export function rawPax(type: 'x' | 'g', records: readonly (readonly [string, string])[] | string): Buffer {
  return rawEntry(type, 'PaxHeader/x', typeof records === 'string' ? records : records.map(([k, v]) => paxRecord(k, v)).join(''));
}
