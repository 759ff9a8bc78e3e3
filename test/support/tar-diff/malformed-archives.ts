/**
 * Hand-made malformed and quirky archives for the differential test: checksums, number fields,
 * sizes that lie, truncation, zero blocks, pax and GNU meta headers (and node-tar's quirks with
 * them), unknown types, prefixes and magics. Each is what a tar parser must agree on byte for byte.
 */
import { BLOCK, END_MARKER, base256, blocksOf, octal, paxRecord, rawEntry, rawHeader } from './raw-tar';
import type { DifferentialCase } from './differential-case';

const file = (name: string, body: string, fields: Parameters<typeof rawEntry>[3] = {}): Buffer => rawEntry('0', name, body, fields);
const pax = (type: 'x' | 'g', records: readonly (readonly [string, string])[] | string): Buffer =>
  rawEntry(type, 'PaxHeader/x', typeof records === 'string' ? records : records.map(([k, v]) => paxRecord(k, v)).join(''));
const archive = (name: string, parts: readonly Buffer[], maxMetaEntryBytes?: number): DifferentialCase => ({
  name,
  tar: Buffer.concat(parts),
  ...(maxMetaEntryBytes === undefined ? {} : { maxMetaEntryBytes }),
});
const SMALL_META = 1024;

export function malformedArchives(): DifferentialCase[] {
  return [
    ...checksumCases(),
    ...numberFieldCases(),
    ...framingCases(),
    ...paxCases(),
    ...gnuMetaCases(),
    ...typeCases(),
    ...prefixAndMagicCases(),
  ];
}

function checksumCases(): DifferentialCase[] {
  return [
    archive('bad checksum', [rawHeader({ fields: { name: 'a' }, checksum: 12345 }), END_MARKER]),
    archive('bad checksum after a good entry', [file('good', 'ok\n'), rawHeader({ fields: { name: 'b' }, checksum: 1 }), END_MARKER]),
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
    archive("size '12x' (octal parsing stops at x: 10 bytes)", [file('a', '0123456789', { size: '12x\0' }), END_MARKER]),
    archive('size with spaces around the digits', [file('a', 'hello world', { size: '  13  \0' }), END_MARKER]),
    archive('size of 12 digits and no NUL', [file('a', 'x'.repeat(127), { size: '000000000177' }), END_MARKER]),
    archive('size that is not a number', [file('a', 'abc', { size: 'zzzzzzzzzzz\0' }), END_MARKER]),
    archive("mode 'abc', uid '12x', mtime of spaces", [file('a', 'm', { mode: 'abc\0', uid: '12x\0', mtime: '           \0' }), END_MARKER]),
    archive('mode with setuid, sticky and high bits', [file('a', 'm', { mode: '7777777\0' }), file('b', 'n', { mode: '0104755\0' }), END_MARKER]),
    archive('mode of zero', [file('a', 'm', { mode: '0000000\0' }), END_MARKER]),
    archive('base-256 size', [file('big', 'y'.repeat(5000), { size: base256(5000, 12) }), END_MARKER]),
    archive('negative base-256 size', [file('neg', '', { size: base256(-1, 12) }), file('next', 'n'), END_MARKER]),
    archive('negative base-256 size with a body', [file('neg', 'body', { size: base256(-600, 12) }), blocksOf('body'), END_MARKER]),
    archive('base-256 size beyond the safe integers', [
      file('huge', '', { size: Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }),
      END_MARKER,
    ]),
    archive('invalid base-256 lead byte (0x81) in size', [file('bad', '', { size: Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]) }), END_MARKER]),
    archive('base-256 uid and mtime', [file('a', 'u', { uid: base256(3_000_000, 8), mtime: base256(99_999_999_999, 12) }), END_MARKER]),
    archive('invalid base-256 lead byte in uid', [file('a', 'u', { uid: Buffer.from([0xc0, 1, 2, 3, 4, 5, 6, 7]) }), END_MARKER]),
    archive('base-256 mode', [file('a', 'u', { mode: base256(0o755, 8) }), END_MARKER]),
    archive('mode of 8 digits and no terminator', [file('a', 'u', { mode: '00000644' }), END_MARKER]),
    // Fields a plain ustar header does not need, but node-tar decodes (and may throw on).
    ...(['gid', 'mtime', 'devmajor', 'devminor', 'atime', 'ctime'] as const).map((field) =>
      archive(`invalid base-256 lead byte in ${field} of a plain ustar header`, [
        file('ok', 'fine'),
        file('a', 'u', { [field]: Buffer.from([0x90, 0, 0, 0, 0, 0, 0, 1]) }),
        END_MARKER,
      ]),
    ),
    archive('invalid base-256 lead byte in atime with a 155-byte prefix (not decoded)', [
      file('a', 'u', { prefix: 'p'.repeat(155), atime: Buffer.from([0x90, 0, 0, 1]) }),
      END_MARKER,
    ]),
    archive('base-256 mtime beyond the safe integers', [file('a', 'u', { mtime: Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }), END_MARKER]),
    archive('bad checksum and an invalid base-256 uid (which node-tar reports first)', [
      rawHeader({ fields: { name: 'a', uid: Buffer.from([0xa0, 1]) }, checksum: 99 }),
      END_MARKER,
    ]),
  ];
}

function framingCases(): DifferentialCase[] {
  const lying = rawHeader({ fields: { name: 'liar', size: octal(10_000, 12) } });
  const entry = file('whole', 'complete\n');
  return [
    archive('size larger than the data left (truncated body)', [lying, Buffer.alloc(1024, 0x61)]),
    archive('size larger than the data left, body not block aligned', [lying, Buffer.alloc(700, 0x61)]),
    archive('truncated mid-header (300 bytes of a second header)', [entry, file('next', 'n').subarray(0, 300)]),
    archive('truncated mid-header after the first block', [entry.subarray(0, 511)]),
    archive('a single zero block then an entry', [entry, Buffer.alloc(BLOCK), file('after', 'after one zero block\n'), END_MARKER]),
    archive('a single zero block at the end', [entry, Buffer.alloc(BLOCK)]),
    archive('two zero blocks then garbage', [entry, END_MARKER, Buffer.from('garbage after the end marker'), Buffer.alloc(2000, 0x41)]),
    archive('two zero blocks then another archive', [entry, END_MARKER, file('hidden', 'never read\n'), END_MARKER]),
    archive('two zero blocks first', [END_MARKER, entry, END_MARKER]),
    archive('only zero bytes', [Buffer.alloc(10 * BLOCK)]),
    archive('fewer than 512 bytes', [Buffer.from('hello, not a tar\n')]),
    archive('fewer than 4 bytes', [Buffer.from('ab')]),
    archive('no end marker', [entry, file('second', 'two\n')]),
    archive('data exactly one block, no end marker', [file('block', 'z'.repeat(512))]),
    archive('a zero-size file then the end marker', [file('empty', ''), END_MARKER]),
  ];
}

function paxCases(): DifferentialCase[] {
  const body700 = 'p'.repeat(700);
  return [
    archive("pax 'x' with path, size, mode, uid (header size 0)", [
      pax('x', [
        ['path', 'pax/a-path-from-the-pax-header.txt'],
        ['size', '700'],
        ['mode', '493'],
        ['uid', '3000000'],
        ['mtime', '1700000000.5'],
      ]),
      rawHeader({ fields: { name: 'short', size: octal(0, 12) } }),
      blocksOf(body700),
      END_MARKER,
    ]),
    archive("pax 'x' with linkpath on a symlink and on a file", [
      pax('x', [['linkpath', `${'t/'.repeat(80)}target`]]),
      rawHeader({ fields: { name: 'link', typeflag: '2', linkname: 'short-target' } }),
      pax('x', [['linkpath', 'not-for-a-file']]),
      file('plain', 'p'),
      END_MARKER,
    ]),
    archive("pax 'x' with an empty path", [pax('x', [['path', '']]), file('header-name', 'h'), END_MARKER]),
    archive("pax 'x' with a negative and a non-numeric size", [
      pax('x', [['size', '-5']]),
      file('a', 'aaa'),
      pax('x', [['size', 'lots']]),
      file('b', 'bb'),
      END_MARKER,
    ]),
    archive("pax 'x' with a non-numeric mode and uid", [pax('x', [['mode', 'rwx'], ['uid', 'root']]), file('a', 'a'), END_MARKER]),
    archive('pax records of the wrong length', [pax('x', '99 path=wrong-length\n12 size=4\n30 path=right-length-record-x\n'), file('a', 'aaaa'), END_MARKER]),
    archive("pax records missing '='", [pax('x', `${paxRecord('pathonly', '')}15 path-no-eq\n${paxRecord('mode', '420')}`), file('a', 'a'), END_MARKER]),
    archive('pax values with NUL inside', [pax('x', [['path', 'nul\0hidden'], ['linkpath', 'x\0y']]), rawHeader({ fields: { name: 'l', typeflag: '2', linkname: 'z' } }), END_MARKER]),
    archive('pax SCHILY.dev, ino, nlink and unknown keys', [
      pax('x', [['SCHILY.dev', '2049'], ['SCHILY.ino', '77'], ['SCHILY.nlink', '3'], ['LIBARCHIVE.xattr.user.x', 'eA=='], ['path', 'schily']]),
      file('a', 'a'),
      END_MARKER,
    ]),
    archive('pax record with a newline in its value and a body without the last newline', [pax('x', '20 path=two\nlines\n11 size=1'), file('a', 'a'), END_MARKER]),
    archive("global pax 'g' with path, linkpath, size and mode (applied to later entries)", [
      pax('g', [['path', 'global-path'], ['linkpath', 'global-link'], ['size', '5'], ['mode', '384']]),
      file('first', 'abcde'),
      rawHeader({ fields: { name: 'second', size: octal(2, 12) } }),
      blocksOf('xy'),
      rawHeader({ fields: { name: 'dir/', typeflag: '5' } }),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'own' } }),
      END_MARKER,
    ]),
    archive("'g' then 'x': both apply", [pax('g', [['uid', '7'], ['mode', '256']]), pax('x', [['mode', '420'], ['path', 'x-path']]), file('a', 'a'), END_MARKER]),
    archive("'x' then 'L' then a file", [
      pax('x', [['path', 'from-x'], ['size', '3']]),
      rawEntry('L', '././@LongLink', `${'l'.repeat(150)}\0`),
      file('a', 'abc'),
      END_MARKER,
    ]),
    archive("'x' then 'K' then a symlink", [
      pax('x', [['linkpath', 'from-x']]),
      rawEntry('K', '././@LongLink', `${'k'.repeat(150)}\0`),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'short' } }),
      END_MARKER,
    ]),
    archive("'x' with a size over maxMetaEntryBytes, then 'L': the L is ignored", [
      pax('x', [['size', '5000']]),
      rawEntry('L', '././@LongLink', `${'l'.repeat(150)}\0`),
      file('a', 'abc'),
      END_MARKER,
    ], SMALL_META),
    archive("'x' bigger than maxMetaEntryBytes", [pax('x', [['comment', 'c'.repeat(2000)]]), file('a', 'a'), END_MARKER], SMALL_META),
    archive("'g' bigger than maxMetaEntryBytes", [pax('g', [['comment', 'c'.repeat(2000)]]), file('a', 'a'), END_MARKER], SMALL_META),
    archive("'x' exactly maxMetaEntryBytes", [pax('x', `${paxRecord('comment', 'c'.repeat(SMALL_META - 14))}`.padEnd(SMALL_META, '\n')), file('a', 'a'), END_MARKER], SMALL_META),
    archive("a dangling 'x' at the end", [file('a', 'a'), pax('x', [['path', 'nothing-follows']]), END_MARKER]),
    archive("'x' then a directory and a hardlink", [
      pax('x', [['path', 'pax-dir/']]),
      rawHeader({ fields: { name: 'd/', typeflag: '5' } }),
      pax('x', [['linkpath', 'pax-dir/target']]),
      rawHeader({ fields: { name: 'hl', typeflag: '1', linkname: 'x' } }),
      END_MARKER,
    ]),
    archive("'x' with size 0, then 'L': the L's body is read as a header", [
      pax('x', [['size', '0']]),
      rawEntry('L', '././@LongLink', `${'l'.repeat(150)}\0`),
      file('a', 'abc'),
      END_MARKER,
    ]),
    archive('pax path of 1500 bytes of two-byte characters (split between writes)', [pax('x', [['path', 'ü'.repeat(750)]]), file('short', 's'), END_MARKER]),
    archive("old 'X' extended header", [rawEntry('X', 'ext', paxRecord('path', 'from-old-X')), file('a', 'a'), END_MARKER]),
    archive("'x' of size 0", [rawHeader({ fields: { name: 'PaxHeader/x', typeflag: 'x' } }), file('a', 'a'), END_MARKER]),
  ];
}

function gnuMetaCases(): DifferentialCase[] {
  const longName = `${'gnu-long/'.repeat(20)}name.txt`;
  return [
    archive("GNU 'L' long name", [rawEntry('L', '././@LongLink', `${longName}\0`), file('short', 'L'), END_MARKER]),
    archive("GNU 'L' with NUL inside", [rawEntry('L', '././@LongLink', 'before-nul\0after-nul'), file('short', 'L'), END_MARKER]),
    archive("GNU 'K' with NUL inside", [
      rawEntry('K', '././@LongLink', 'link-before\0link-after'),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'short' } }),
      END_MARKER,
    ]),
    archive("GNU 'N' old long name", [rawEntry('N', 'old', 'n-name\0'), file('short', 'N'), END_MARKER]),
    archive("'L' then 'K' then a hardlink", [
      rawEntry('L', '././@LongLink', `${longName}\0`),
      rawEntry('K', '././@LongLink', `${longName}.target\0`),
      rawHeader({ fields: { name: 'short', typeflag: '1', linkname: 'short-target' } }),
      END_MARKER,
    ]),
    archive("'L' of 2000 bytes of two-byte characters", [rawEntry('L', '././@LongLink', `${'é'.repeat(1000)}\0`), file('short', 'L'), END_MARKER]),
    archive("'L' with NUL, then a line break", [rawEntry('L', '././@LongLink', 'one\0two\nthree\0'), file('short', 'L'), END_MARKER]),
    archive("'L' with non-UTF-8 bytes", [rawEntry('L', '././@LongLink', Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3, 0x28, 0])), file('short', 'L'), END_MARKER]),
    archive("'L' bigger than maxMetaEntryBytes", [rawEntry('L', '././@LongLink', `${'l'.repeat(2000)}\0`), file('short', 'L'), END_MARKER], SMALL_META),
    archive("'K' bigger than maxMetaEntryBytes", [
      rawEntry('K', '././@LongLink', `${'k'.repeat(2000)}\0`),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'short' } }),
      END_MARKER,
    ], SMALL_META),
    archive("'L' of size 0", [rawHeader({ fields: { name: '././@LongLink', typeflag: 'L' } }), file('short', 'L'), END_MARKER]),
    archive("'L' then the end of the archive", [rawEntry('L', '././@LongLink', 'dangling\0'), END_MARKER]),
    archive("'L' whose body is cut off", [rawEntry('L', '././@LongLink', `${'l'.repeat(900)}\0`).subarray(0, 1000)]),
  ];
}

function typeCases(): DifferentialCase[] {
  return [
    ...['V', 'S', 'A', 'Z', 'M', 'I', '9', '\xff'].map((type) =>
      archive(`unknown or unsupported type ${JSON.stringify(type)} with data`, [rawEntry(type, `t-${type.charCodeAt(0)}`, 'data of an ignored entry'), file('after', 'a'), END_MARKER]),
    ),
    archive("type '\\0' with a trailing-slash path (old directory)", [rawHeader({ fields: { name: 'olddir/', typeflag: '\0' } }), END_MARKER]),
    archive("type '\\0' file (OldFile)", [rawEntry('\0', 'oldfile', 'old'), END_MARKER]),
    archive("type '0' with a path ending '/' and a body (becomes a dir; the body is read as headers)", [
      rawEntry('0', 'slash/', Buffer.concat([file('inner', 'inside the body\n')])),
      END_MARKER,
    ]),
    archive('directory with a non-zero size and a zero body', [rawEntry('5', 'dir/', Buffer.alloc(1024)), file('after', 'a'), END_MARKER]),
    archive('directory with a non-zero size and a text body', [rawEntry('5', 'dir', 'not a header'), file('after', 'a'), END_MARKER]),
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
    archive("pax 'x' with a linkpath field in its own header", [rawEntry('x', 'PaxHeader', paxRecord('path', 'p'), { linkname: 'meta-link' }), file('a', 'a'), END_MARKER]),
    archive('an empty path', [rawHeader({ fields: { name: '' } }), END_MARKER]),
    archive('an empty path after a good entry', [file('good', 'g'), rawHeader({ fields: { name: '\0abc' } }), file('later', 'l'), END_MARKER]),
    archive('symlink with a body', [rawEntry('2', 'sym', 'body of a symlink', { linkname: 'target' }), END_MARKER]),
  ];
}

function prefixAndMagicCases(): DifferentialCase[] {
  const prefix155 = `${'p'.repeat(76)}/${'q'.repeat(78)}`;
  return [
    archive('ustar prefix filling all 155 bytes (buf[475] != 0)', [file('name.txt', 'x', { prefix: prefix155 }), END_MARKER]),
    archive('ustar prefix of 130 bytes or less (buf[475] == 0) with atime/ctime', [
      file('name.txt', 'x', { prefix: 'short/prefix', atime: octal(1_600_000_000, 12), ctime: octal(1_600_000_001, 12) }),
      END_MARKER,
    ]),
    archive('ustar prefix of 140 bytes (buf[475] == 0, tail of the prefix in the atime field)', [
      file('name.txt', 'x', { prefix: 'r'.repeat(140) }),
      END_MARKER,
    ]),
    archive("old GNU magic 'ustar  \\0' with atime/ctime and bytes in the prefix", [
      file('gnu.txt', 'x', { magic: 'ustar ', version: ' \0', prefix: 'ignored-prefix', atime: octal(1_600_000_000, 12) }),
      END_MARKER,
    ]),
    archive('v7 header (no magic) with a prefix field', [file('v7.txt', 'x', { magic: '\0', version: '\0\0', uname: '', gname: '', prefix: 'not-a-prefix' }), END_MARKER]),
    archive("ustar magic with version '  '", [file('v.txt', 'x', { version: '  ', prefix: 'pre' }), END_MARKER]),
    archive('a 100-byte name with no NUL', [file('n'.repeat(100), 'x'), END_MARKER]),
    archive('a name with NUL in the middle', [file('visible\0hidden', 'x'), END_MARKER]),
    archive('a name of invalid UTF-8', [file('bad-\xff\xfe-utf8', 'x'), END_MARKER]),
    archive('a name with NUL, then a line break', [file('seen\0hidden\nshown', 'x'), END_MARKER]),
    archive('a prefix with NUL, then a line break', [file('name', 'x', { prefix: 'pre\0x\ny' }), END_MARKER]),
    archive('a link name with NUL, then a line break', [rawHeader({ fields: { name: 'l', typeflag: '2', linkname: 'to\0x\ny' } }), END_MARKER]),
    archive('a name with backslashes', [file('dir\\file', 'x'), END_MARKER]),
  ];
}
