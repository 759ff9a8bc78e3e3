/**
 * Hand-made malformed and quirky archives for the differential test: checksums, number fields,
 * sizes that lie, truncation, zero blocks, unknown types, prefixes and magics, and the pax and GNU
 * meta headers of meta-header-archives.ts. Each is what a tar parser must agree on byte for byte.
 */
import { BLOCK, END_MARKER, base256, blocksOf, octal, paxRecord, rawEntry, rawFile, rawHeader } from './raw-tar';
import { archive, type DifferentialCase } from './differential-case';
import { metaHeaderArchives } from './meta-header-archives';

export function malformedArchives(): DifferentialCase[] {
  return [
    ...checksumCases(),
    ...numberFieldCases(),
    ...framingCases(),
    ...metaHeaderArchives(),
    ...typeCases(),
    ...prefixAndMagicCases(),
  ];
}

function checksumCases(): DifferentialCase[] {
  return [
    archive('bad checksum', [rawHeader({ fields: { name: 'a' }, checksum: 12345 }), END_MARKER]),
    archive('bad checksum after a good entry', [rawFile('good', 'ok\n'), rawHeader({ fields: { name: 'b' }, checksum: 1 }), END_MARKER]),
    archive('checksum as a signed sum (high bytes in the name)', [
      rawHeader({ fields: { name: 'caf\xe9-\xff\xfe' }, checksum: 'signed' }),
      END_MARKER,
    ]),
    archive('checksum as a signed sum of ASCII only (equal to the unsigned one)', [
      rawHeader({ fields: { name: 'plain' }, checksum: 'signed' }),
      END_MARKER,
    ]),
    archive('checksum field of spaces', [rawHeader({ fields: { name: 'a', chksum: '        ' }, checksum: 'keep' }), END_MARKER]),
    archive('checksum with no NUL or space terminator', [
      (() => {
        const header = rawHeader({ fields: { name: 'a' } });
        header[154] = header[153] ?? 0x30;
        header[155] = 0x30;
        return header;
      })(),
      END_MARKER,
    ]),
  ];
}

function numberFieldCases(): DifferentialCase[] {
  return [
    archive("size '12x' (octal parsing stops at x: 10 bytes)", [rawFile('a', '0123456789', { size: '12x\0' }), END_MARKER]),
    archive('size with spaces around the digits', [rawFile('a', 'hello world', { size: '  13  \0' }), END_MARKER]),
    archive('size of 12 digits and no NUL', [rawFile('a', 'x'.repeat(127), { size: '000000000177' }), END_MARKER]),
    archive('size that is not a number', [rawFile('a', 'abc', { size: 'zzzzzzzzzzz\0' }), END_MARKER]),
    archive("mode 'abc', uid '12x', mtime of spaces", [rawFile('a', 'm', { mode: 'abc\0', uid: '12x\0', mtime: '           \0' }), END_MARKER]),
    archive('mode with setuid, sticky and high bits', [rawFile('a', 'm', { mode: '7777777\0' }), rawFile('b', 'n', { mode: '0104755\0' }), END_MARKER]),
    archive('mode of zero', [rawFile('a', 'm', { mode: '0000000\0' }), END_MARKER]),
    archive('base-256 size', [rawFile('big', 'y'.repeat(5000), { size: base256(5000, 12) }), END_MARKER]),
    archive('negative base-256 size', [rawFile('neg', '', { size: base256(-1, 12) }), rawFile('next', 'n'), END_MARKER]),
    archive('negative base-256 size with a body', [rawFile('neg', 'body', { size: base256(-600, 12) }), blocksOf('body'), END_MARKER]),
    archive('base-256 size beyond the safe integers', [
      rawFile('huge', '', { size: Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }),
      END_MARKER,
    ]),
    archive('invalid base-256 lead byte (0x81) in size', [rawFile('bad', '', { size: Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]) }), END_MARKER]),
    archive('base-256 uid and mtime', [rawFile('a', 'u', { uid: base256(3_000_000, 8), mtime: base256(99_999_999_999, 12) }), END_MARKER]),
    archive('invalid base-256 lead byte in uid', [rawFile('a', 'u', { uid: Buffer.from([0xc0, 1, 2, 3, 4, 5, 6, 7]) }), END_MARKER]),
    archive('base-256 mode', [rawFile('a', 'u', { mode: base256(0o755, 8) }), END_MARKER]),
    archive('mode of 8 digits and no terminator', [rawFile('a', 'u', { mode: '00000644' }), END_MARKER]),
    // Fields a plain ustar header does not need, but node-tar decodes (and may throw on).
    ...(['gid', 'mtime', 'devmajor', 'devminor', 'atime', 'ctime'] as const).map((field) =>
      archive(`invalid base-256 lead byte in ${field} of a plain ustar header`, [
        rawFile('ok', 'fine'),
        rawFile('a', 'u', { [field]: Buffer.from([0x90, 0, 0, 0, 0, 0, 0, 1]) }),
        END_MARKER,
      ]),
    ),
    archive('invalid base-256 lead byte in atime with a 155-byte prefix (not decoded)', [
      rawFile('a', 'u', { prefix: 'p'.repeat(155), atime: Buffer.from([0x90, 0, 0, 1]) }),
      END_MARKER,
    ]),
    archive('base-256 mtime beyond the safe integers', [rawFile('a', 'u', { mtime: Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }), END_MARKER]),
    archive('bad checksum and an invalid base-256 uid (which node-tar reports first)', [
      rawHeader({ fields: { name: 'a', uid: Buffer.from([0xa0, 1]) }, checksum: 99 }),
      END_MARKER,
    ]),
  ];
}

function framingCases(): DifferentialCase[] {
  const lying = rawHeader({ fields: { name: 'liar', size: octal(10_000, 12) } });
  const entry = rawFile('whole', 'complete\n');
  return [
    archive('size larger than the data left (truncated body)', [lying, Buffer.alloc(1024, 0x61)]),
    archive('size larger than the data left, body not block aligned', [lying, Buffer.alloc(700, 0x61)]),
    archive('truncated mid-header (300 bytes of a second header)', [entry, rawFile('next', 'n').subarray(0, 300)]),
    archive('truncated mid-header after the first block', [entry.subarray(0, 511)]),
    archive('a single zero block then an entry', [entry, Buffer.alloc(BLOCK), rawFile('after', 'after one zero block\n'), END_MARKER]),
    archive('a single zero block at the end', [entry, Buffer.alloc(BLOCK)]),
    archive('two zero blocks then garbage', [entry, END_MARKER, Buffer.from('garbage after the end marker'), Buffer.alloc(2000, 0x41)]),
    archive('two zero blocks then another archive', [entry, END_MARKER, rawFile('hidden', 'never read\n'), END_MARKER]),
    archive('two zero blocks first', [END_MARKER, entry, END_MARKER]),
    archive('only zero bytes', [Buffer.alloc(10 * BLOCK)]),
    archive('fewer than 512 bytes', [Buffer.from('hello, not a tar\n')]),
    archive('fewer than 4 bytes', [Buffer.from('ab')]),
    archive('no end marker', [entry, rawFile('second', 'two\n')]),
    archive('data exactly one block, no end marker', [rawFile('block', 'z'.repeat(512))]),
    archive('a zero-size file then the end marker', [rawFile('empty', ''), END_MARKER]),
  ];
}

function typeCases(): DifferentialCase[] {
  return [
    ...['V', 'S', 'A', 'Z', 'M', 'I', '9', '\xff'].map((type) =>
      archive(`unknown or unsupported type ${JSON.stringify(type)} with data`, [rawEntry(type, `t-${type.charCodeAt(0)}`, 'data of an ignored entry'), rawFile('after', 'a'), END_MARKER]),
    ),
    archive("type '\\0' with a trailing-slash path (old directory)", [rawHeader({ fields: { name: 'olddir/', typeflag: '\0' } }), END_MARKER]),
    archive("type '\\0' file (OldFile)", [rawEntry('\0', 'oldfile', 'old'), END_MARKER]),
    archive("type '0' with a path ending '/' and a body (becomes a dir; the body is read as headers)", [
      rawEntry('0', 'slash/', Buffer.concat([rawFile('inner', 'inside the body\n')])),
      END_MARKER,
    ]),
    archive('directory with a non-zero size and a zero body', [rawEntry('5', 'dir/', Buffer.alloc(1024)), rawFile('after', 'a'), END_MARKER]),
    archive('directory with a non-zero size and a text body', [rawEntry('5', 'dir', 'not a header'), rawFile('after', 'a'), END_MARKER]),
    archive("'7' contiguous file and 'D' GNU dump dir with data", [rawEntry('7', 'contig', 'c'), rawEntry('D', 'dumpdir/', 'Yentry\0\0'), END_MARKER]),
    archive('character and block devices with device numbers', [
      rawHeader({ fields: { name: 'chr', typeflag: '3', devmajor: octal(1, 8), devminor: octal(3, 8) } }),
      rawHeader({ fields: { name: 'blk', typeflag: '4', devmajor: octal(8, 8), devminor: octal(0, 8) } }),
      rawHeader({ fields: { name: 'fifo', typeflag: '6' } }),
      END_MARKER,
    ]),
    archive('symlink without linkpath', [rawHeader({ fields: { name: 'sym', typeflag: '2' } }), END_MARKER]),
    archive('hardlink without linkpath', [rawHeader({ fields: { name: 'hl', typeflag: '1' } }), END_MARKER]),
    archive('file with a linkpath', [rawHeader({ fields: { name: 'f', linkname: 'why' } }), END_MARKER]),
    archive('directory with a linkpath', [rawHeader({ fields: { name: 'd/', typeflag: '5', linkname: 'why' } }), END_MARKER]),
    archive("pax 'x' with a linkpath field in its own header", [rawEntry('x', 'PaxHeader', paxRecord('path', 'p'), { linkname: 'meta-link' }), rawFile('a', 'a'), END_MARKER]),
    archive('an empty path', [rawHeader({ fields: { name: '' } }), END_MARKER]),
    archive('an empty path after a good entry', [rawFile('good', 'g'), rawHeader({ fields: { name: '\0abc' } }), rawFile('later', 'l'), END_MARKER]),
    archive('symlink with a body', [rawEntry('2', 'sym', 'body of a symlink', { linkname: 'target' }), END_MARKER]),
  ];
}

function prefixAndMagicCases(): DifferentialCase[] {
  const prefix155 = `${'p'.repeat(76)}/${'q'.repeat(78)}`;
  return [
    archive('ustar prefix filling all 155 bytes (buf[475] != 0)', [rawFile('name.txt', 'x', { prefix: prefix155 }), END_MARKER]),
    archive('ustar prefix of 130 bytes or less (buf[475] == 0) with atime/ctime', [
      rawFile('name.txt', 'x', { prefix: 'short/prefix', atime: octal(1_600_000_000, 12), ctime: octal(1_600_000_001, 12) }),
      END_MARKER,
    ]),
    archive('ustar prefix of 140 bytes (buf[475] == 0, tail of the prefix in the atime field)', [
      rawFile('name.txt', 'x', { prefix: 'r'.repeat(140) }),
      END_MARKER,
    ]),
    archive("old GNU magic 'ustar  \\0' with atime/ctime and bytes in the prefix", [
      rawFile('gnu.txt', 'x', { magic: 'ustar ', version: ' \0', prefix: 'ignored-prefix', atime: octal(1_600_000_000, 12) }),
      END_MARKER,
    ]),
    archive('v7 header (no magic) with a prefix field', [rawFile('v7.txt', 'x', { magic: '\0', version: '\0\0', uname: '', gname: '', prefix: 'not-a-prefix' }), END_MARKER]),
    archive("ustar magic with version '  '", [rawFile('v.txt', 'x', { version: '  ', prefix: 'pre' }), END_MARKER]),
    archive('a 100-byte name with no NUL', [rawFile('n'.repeat(100), 'x'), END_MARKER]),
    archive('a name with NUL in the middle', [rawFile('visible\0hidden', 'x'), END_MARKER]),
    archive('a name of invalid UTF-8', [rawFile('bad-\xff\xfe-utf8', 'x'), END_MARKER]),
    archive('a name with NUL, then a line break', [rawFile('seen\0hidden\nshown', 'x'), END_MARKER]),
    archive('a prefix with NUL, then a line break', [rawFile('name', 'x', { prefix: 'pre\0x\ny' }), END_MARKER]),
    archive('a link name with NUL, then a line break', [rawHeader({ fields: { name: 'l', typeflag: '2', linkname: 'to\0x\ny' } }), END_MARKER]),
    archive('a name with backslashes', [rawFile('dir\\file', 'x'), END_MARKER]),
  ];
}
