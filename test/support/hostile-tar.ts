/**
 * Builds tarballs byte by byte, in memory, for regression tests of the unpacker: any type flag,
 * any path or link target (absolute, `..`, backslashes, drive letters, Unicode), any mode, and a
 * size field that may lie. Nothing here refuses anything: that is the point.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** ustar type flags. Any other single character may be passed too. */
export const TYPE = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  charDevice: '3',
  blockDevice: '4',
  dir: '5',
  fifo: '6',
} as const;

export interface HostileEntry {
  readonly path: string;
  /** One type-flag character. @default TYPE.file ('0') */
  readonly type?: string;
  readonly body?: Buffer | string;
  readonly linkpath?: string;
  /** @default 0o644 for files, 0o755 for dirs, 0o777 for links */
  readonly mode?: number;
  /** The header's size field. @default the body's length */
  readonly size?: number;
}

export interface Artifact {
  readonly bytes: Buffer;
  readonly expected: { readonly sha256: string; readonly size: number };
}

const BLOCK = 512;

/** The tar stream for `entries`, then (unless `endMarker: false`) two zero blocks. */
export function tarOf(entries: readonly HostileEntry[], options: { endMarker?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) parts.push(...entryBlocks(entry));
  if (options.endMarker !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** gzip'd bytes plus their real size and sha256, so a test fails on the entry, not the hash. */
export function artifactOf(tar: Buffer): Artifact {
  return rawArtifact(gzipSync(tar));
}

/** Wraps already-made artifact bytes (maybe not gzip at all) with their real size and sha256. */
export function rawArtifact(bytes: Buffer): Artifact {
  return { bytes, expected: { sha256: sha256Of(bytes), size: bytes.length } };
}

export function hostileArtifact(entries: readonly HostileEntry[]): Artifact {
  return artifactOf(tarOf(entries));
}

export function sha256Of(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One entry: an optional pax header (long or non-ASCII names), the ustar header, the body. */
export function entryBlocks(entry: HostileEntry): Buffer[] {
  const type = entry.type ?? TYPE.file;
  const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
  const blocks: Buffer[] = [];
  const pax: Record<string, string> = {};
  if (needsPax(entry.path)) pax['path'] = entry.path;
  if (entry.linkpath !== undefined && needsPax(entry.linkpath)) pax['linkpath'] = entry.linkpath;
  if (Object.keys(pax).length > 0) blocks.push(...paxBlocks(pax));
  blocks.push(
    ustarHeader({
      path: entry.path,
      type,
      size: entry.size ?? body.length,
      mode: entry.mode ?? defaultMode(type),
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    }),
  );
  if (body.length > 0) blocks.push(padded(body));
  return blocks;
}

/** A pax extended header ('x') carrying `records`, padded to whole blocks. */
export function paxBlocks(records: Record<string, string>, type = 'x'): Buffer[] {
  const body = Buffer.from(Object.entries(records).map(([key, value]) => paxRecord(key, value)).join(''));
  return [ustarHeader({ path: 'PaxHeader', type, size: body.length, mode: 0o644 }), padded(body)];
}

export interface HeaderFields {
  readonly path: string;
  readonly type: string;
  readonly size: number;
  readonly mode: number;
  readonly linkpath?: string;
}

/** One raw 512-byte ustar header; names longer than the field are cut (pax carries them). */
export function ustarHeader(fields: HeaderFields): Buffer {
  const header = Buffer.alloc(BLOCK);
  writeString(header, 0, 100, fields.path);
  writeOctal(header, 100, 8, fields.mode);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, fields.size);
  writeOctal(header, 136, 12, 1_700_000_000);
  header.write(fields.type.slice(0, 1), 156, 'latin1');
  writeString(header, 157, 100, fields.linkpath ?? '');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  writeString(header, 265, 32, 'root');
  writeString(header, 297, 32, 'root');
  return withChecksum(header);
}

/** Writes the header's checksum field (sum of the bytes with the field as spaces); returns the header. */
export function withChecksum(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header.subarray(0, BLOCK)) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

function needsPax(value: string): boolean {
  return Buffer.byteLength(value) > 99 || /[^\x20-\x7e]/.test(value);
}

function paxRecord(key: string, value: string): string {
  const tail = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(tail) + 1;
  while (String(length).length + Buffer.byteLength(tail) !== length) length += 1;
  return `${length}${tail}`;
}

function defaultMode(type: string): number {
  if (type === TYPE.dir) return 0o755;
  if (type === TYPE.symlink || type === TYPE.hardlink) return 0o777;
  return 0o644;
}

function padded(body: Buffer): Buffer {
  const rest = body.length % BLOCK;
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(BLOCK - rest)]);
}

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  Buffer.from(value).copy(header, offset, 0, Math.min(length, Buffer.byteLength(value)));
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'latin1');
}
