/**
 * The fast path of tar header decoding: a plain POSIX ustar header (what `deployctl push` and
 * most tools write for an ordinary file, directory or link) decoded straight from its bytes,
 * with exactly the result node-tar's Header + ReadEntry give it, or `undefined` for anything
 * less plain, which then goes the general way (node-tar's own Header). "Plain" is decided on
 * the bytes, conservatively:
 *
 * - no pax or GNU long-name header pending (those change the fields);
 * - magic `ustar\0` + version `00` (POSIX ustar), or GNU tar's `ustar  \0` (then, as in node-tar,
 *   no prefix field);
 * - type flag NUL, `0`, `1`, `2` or `5`;
 * - name, link name and prefix all ASCII, each ending at its first NUL with only NULs after it
 *   (node-tar cuts a string at its first NUL with a regex that stops at a line break: a
 *   field with bytes after the NUL may decode otherwise, so it is not plain);
 * - mode, size and checksum fields: octal digits, then only NULs and spaces (no base-256,
 *   no leading spaces, at least one digit; the checksum with at least one NUL or space);
 * - no base-256 number in any other numeric field node-tar decodes (it may throw on one);
 * - a non-empty path.
 *
 * Everything node-tar derives from those fields is derived here the same way: the path is
 * prefix + '/' + name when the prefix is set (the 155-byte prefix when byte 475 is not NUL, the
 * 130-byte one otherwise), type NUL is File, a File path ending in '/' is a Directory, a
 * Directory has size 0, mode is masked with 0o7777, an empty link name is no link name, the
 * checksum is the unsigned sum with the checksum field as spaces.
 */

/** What the reader needs of one header. */
export interface PlainHeader {
  readonly path: string;
  /** '0' | '1' | '2' | '5' */
  readonly typeKey: string;
  readonly size: number;
  readonly mode: number;
  readonly linkpath: string | undefined;
  readonly cksumValid: boolean;
}

const NUL = 0;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;
/** `ustar\0` then `00`. */
const USTAR = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30] as const;
/** GNU tar's `ustar  \0` (magic and version run together): node-tar reads no prefix then. */
const GNU_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20, 0x00] as const;
/** Numeric fields node-tar decodes in a ustar header (mode, uid, gid, size, mtime, checksum, devmajor, devminor). */
const BASE256_CHECKED = [100, 108, 116, 124, 136, 148, 329, 337] as const;
/** …and in any other (GNU tar's `ustar  \0` magic): no device numbers. */
const BASE256_CHECKED_GNU = [100, 108, 116, 124, 136, 148] as const;
const TYPE_NAMES: Readonly<Record<number, string>> = { 0x00: '0', 0x30: '0', 0x31: '1', 0x32: '2', 0x35: '5' };

export function decodePlainHeader(block: Buffer, off: number): PlainHeader | undefined {
  const posix = hasBytes(block, off + 257, USTAR);
  if (!posix && !hasBytes(block, off + 257, GNU_MAGIC)) return undefined;
  let typeKey = TYPE_NAMES[block[off + 156] as number];
  if (typeKey === undefined) return undefined;
  // node-tar decodes these too (uid, gid, mtime; with ustar also the device numbers and, after a
  // short prefix, atime/ctime): one in base-256 may make it throw, so such a header goes
  // node-tar's way.
  for (const at of posix ? BASE256_CHECKED : BASE256_CHECKED_GNU) if (((block[off + at] as number) & 0x80) !== 0) return undefined;
  if (posix && block[off + 475] === NUL && (((block[off + 476] as number) | (block[off + 488] as number)) & 0x80) !== 0) return undefined;
  const mode = octal(block, off + 100, 8);
  const size = octal(block, off + 124, 12);
  // node-tar reads the checksum from 12 bytes (into the type flag and link name): a field with
  // no terminator would take those digits too, so one is required here.
  const cksum = octal(block, off + 148, 8, true);
  if (mode === undefined || size === undefined || cksum === undefined) return undefined;
  const name = asciiField(block, off, 100);
  const link = asciiField(block, off + 157, 100);
  // ustar: node-tar reads a 155-byte prefix when its last byte (475) is set, else 130 bytes (the
  // rest then being atime/ctime, which are not needed here). GNU: no prefix at all.
  const long = posix && block[off + 475] !== NUL;
  const prefix = posix ? asciiField(block, off + 345, long ? 155 : 130) : '';
  if (name === undefined || link === undefined || prefix === undefined) return undefined;
  const path = long || prefix !== '' ? `${prefix}/${name}` : name;
  if (path === '') return undefined;
  if (typeKey === '0' && path.endsWith('/')) typeKey = '5';
  return {
    path,
    typeKey,
    size: typeKey === '5' ? 0 : size,
    mode: mode & 0o7777,
    linkpath: link === '' ? undefined : link,
    cksumValid: checksum(block, off) === cksum,
  };
}

function hasBytes(block: Buffer, off: number, bytes: readonly number[]): boolean {
  for (let i = 0; i < bytes.length; i++) if (block[off + i] !== bytes[i]) return false;
  return true;
}

/** A NUL-terminated ASCII string with only NULs after it; undefined when not that. */
function asciiField(block: Buffer, off: number, length: number): string | undefined {
  let end = off;
  const limit = off + length;
  while (end < limit) {
    const byte = block[end] as number;
    if (byte === NUL) break;
    if (byte >= 0x80) return undefined;
    end++;
  }
  for (let i = end; i < limit; i++) if (block[i] !== NUL) return undefined;
  return block.toString('latin1', off, end);
}

/** Octal digits, then only NULs and spaces (at least one when `terminated`); undefined when not that. */
function octal(block: Buffer, off: number, length: number, terminated = false): number | undefined {
  let value = 0;
  let i = off;
  const limit = off + length;
  for (; i < limit; i++) {
    const byte = block[i] as number;
    if (byte < DIGIT_0 || byte > DIGIT_7) break;
    value = value * 8 + (byte - DIGIT_0);
  }
  if (i === off || (terminated && i === limit)) return undefined;
  for (; i < limit; i++) {
    const byte = block[i];
    if (byte !== NUL && byte !== SPACE) return undefined;
  }
  return value;
}

function checksum(block: Buffer, off: number): number {
  let sum = 8 * SPACE;
  for (let i = off; i < off + 148; i++) sum += block[i] as number;
  for (let i = off + 156; i < off + 512; i++) sum += block[i] as number;
  return sum;
}
