/**
 * Malformed and quirky pax ('x', 'g', 'X') and GNU long-name ('L', 'K', 'N') headers for the
 * differential test, including node-tar's quirks (global linkpath/size apply to later entries,
 * a pending pax size applies to a following 'L'/'K', limits on meta entry size).
 */
import { END_MARKER, blocksOf, octal, paxRecord, rawEntry, rawFile, rawHeader, rawPax } from './raw-tar';
import { SMALL_META, archive, type DifferentialCase } from './differential-case';

export function metaHeaderArchives(): DifferentialCase[] {
  return [...paxCases(), ...gnuMetaCases()];
}

function paxCases(): DifferentialCase[] {
  const body700 = 'p'.repeat(700);
  return [
    archive("pax 'x' with path, size, mode, uid (header size 0)", [
      rawPax('x', [
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
      rawPax('x', [['linkpath', `${'t/'.repeat(80)}target`]]),
      rawHeader({ fields: { name: 'link', typeflag: '2', linkname: 'short-target' } }),
      rawPax('x', [['linkpath', 'not-for-a-file']]),
      rawFile('plain', 'p'),
      END_MARKER,
    ]),
    archive("pax 'x' with an empty path", [rawPax('x', [['path', '']]), rawFile('header-name', 'h'), END_MARKER]),
    archive("pax 'x' with a negative and a non-numeric size", [
      rawPax('x', [['size', '-5']]),
      rawFile('a', 'aaa'),
      rawPax('x', [['size', 'lots']]),
      rawFile('b', 'bb'),
      END_MARKER,
    ]),
    archive("pax 'x' with a non-numeric mode and uid", [rawPax('x', [['mode', 'rwx'], ['uid', 'root']]), rawFile('a', 'a'), END_MARKER]),
    archive('pax records of the wrong length', [rawPax('x', '99 path=wrong-length\n12 size=4\n30 path=right-length-record-x\n'), rawFile('a', 'aaaa'), END_MARKER]),
    archive("pax records missing '='", [rawPax('x', `${paxRecord('pathonly', '')}15 path-no-eq\n${paxRecord('mode', '420')}`), rawFile('a', 'a'), END_MARKER]),
    archive('pax values with NUL inside', [rawPax('x', [['path', 'nul\0hidden'], ['linkpath', 'x\0y']]), rawHeader({ fields: { name: 'l', typeflag: '2', linkname: 'z' } }), END_MARKER]),
    archive('pax SCHILY.dev, ino, nlink and unknown keys', [
      rawPax('x', [['SCHILY.dev', '2049'], ['SCHILY.ino', '77'], ['SCHILY.nlink', '3'], ['LIBARCHIVE.xattr.user.x', 'eA=='], ['path', 'schily']]),
      rawFile('a', 'a'),
      END_MARKER,
    ]),
    archive('pax record with a newline in its value and a body without the last newline', [rawPax('x', '20 path=two\nlines\n11 size=1'), rawFile('a', 'a'), END_MARKER]),
    archive("global pax 'g' with path, linkpath, size and mode (applied to later entries)", [
      rawPax('g', [['path', 'global-path'], ['linkpath', 'global-link'], ['size', '5'], ['mode', '384']]),
      rawFile('first', 'abcde'),
      rawHeader({ fields: { name: 'second', size: octal(2, 12) } }),
      blocksOf('xy'),
      rawHeader({ fields: { name: 'dir/', typeflag: '5' } }),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'own' } }),
      END_MARKER,
    ]),
    archive("'g' then 'x': both apply", [rawPax('g', [['uid', '7'], ['mode', '256']]), rawPax('x', [['mode', '420'], ['path', 'x-path']]), rawFile('a', 'a'), END_MARKER]),
    archive("'x' then 'L' then a file", [
      rawPax('x', [['path', 'from-x'], ['size', '3']]),
      rawEntry('L', '././@LongLink', `${'l'.repeat(150)}\0`),
      rawFile('a', 'abc'),
      END_MARKER,
    ]),
    archive("'x' then 'K' then a symlink", [
      rawPax('x', [['linkpath', 'from-x']]),
      rawEntry('K', '././@LongLink', `${'k'.repeat(150)}\0`),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'short' } }),
      END_MARKER,
    ]),
    archive("'x' with a size over maxMetaEntryBytes, then 'L': the L is ignored", [
      rawPax('x', [['size', '5000']]),
      rawEntry('L', '././@LongLink', `${'l'.repeat(150)}\0`),
      rawFile('a', 'abc'),
      END_MARKER,
    ], SMALL_META),
    archive("'x' bigger than maxMetaEntryBytes", [rawPax('x', [['comment', 'c'.repeat(2000)]]), rawFile('a', 'a'), END_MARKER], SMALL_META),
    archive("'g' bigger than maxMetaEntryBytes", [rawPax('g', [['comment', 'c'.repeat(2000)]]), rawFile('a', 'a'), END_MARKER], SMALL_META),
    archive("'x' exactly maxMetaEntryBytes", [rawPax('x', `${paxRecord('comment', 'c'.repeat(SMALL_META - 14))}`.padEnd(SMALL_META, '\n')), rawFile('a', 'a'), END_MARKER], SMALL_META),
    archive("a dangling 'x' at the end", [rawFile('a', 'a'), rawPax('x', [['path', 'nothing-follows']]), END_MARKER]),
    archive("'x' then a directory and a hardlink", [
      rawPax('x', [['path', 'pax-dir/']]),
      rawHeader({ fields: { name: 'd/', typeflag: '5' } }),
      rawPax('x', [['linkpath', 'pax-dir/target']]),
      rawHeader({ fields: { name: 'hl', typeflag: '1', linkname: 'x' } }),
      END_MARKER,
    ]),
    archive("'x' with size 0, then 'L': the L's body is read as a header", [
      rawPax('x', [['size', '0']]),
      rawEntry('L', '././@LongLink', `${'l'.repeat(150)}\0`),
      rawFile('a', 'abc'),
      END_MARKER,
    ]),
    archive("'x' with size 0, then an 'L' with no body, the end marker and trailing bytes (truncated after eof)", [
      rawPax('x', [['size', '0']]),
      rawHeader({ fields: { name: '././@LongLink', typeflag: 'L', size: octal(150, 12) } }),
      END_MARKER,
      Buffer.alloc(600, 0x7a),
    ]),
    archive('pax path of 1500 bytes of two-byte characters (split between writes)', [rawPax('x', [['path', 'ü'.repeat(750)]]), rawFile('short', 's'), END_MARKER]),
    archive("old 'X' extended header", [rawEntry('X', 'ext', paxRecord('path', 'from-old-X')), rawFile('a', 'a'), END_MARKER]),
    archive("'x' of size 0", [rawHeader({ fields: { name: 'PaxHeader/x', typeflag: 'x' } }), rawFile('a', 'a'), END_MARKER]),
  ];
}

function gnuMetaCases(): DifferentialCase[] {
  const longName = `${'gnu-long/'.repeat(20)}name.txt`;
  return [
    archive("GNU 'L' long name", [rawEntry('L', '././@LongLink', `${longName}\0`), rawFile('short', 'L'), END_MARKER]),
    archive("GNU 'L' with NUL inside", [rawEntry('L', '././@LongLink', 'before-nul\0after-nul'), rawFile('short', 'L'), END_MARKER]),
    archive("GNU 'K' with NUL inside", [
      rawEntry('K', '././@LongLink', 'link-before\0link-after'),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'short' } }),
      END_MARKER,
    ]),
    archive("GNU 'N' old long name", [rawEntry('N', 'old', 'n-name\0'), rawFile('short', 'N'), END_MARKER]),
    archive("'L' then 'K' then a hardlink", [
      rawEntry('L', '././@LongLink', `${longName}\0`),
      rawEntry('K', '././@LongLink', `${longName}.target\0`),
      rawHeader({ fields: { name: 'short', typeflag: '1', linkname: 'short-target' } }),
      END_MARKER,
    ]),
    archive("'L' of 2000 bytes of two-byte characters", [rawEntry('L', '././@LongLink', `${'é'.repeat(1000)}\0`), rawFile('short', 'L'), END_MARKER]),
    archive("'L' with NUL, then a line break", [rawEntry('L', '././@LongLink', 'one\0two\nthree\0'), rawFile('short', 'L'), END_MARKER]),
    archive("'L' with non-UTF-8 bytes", [rawEntry('L', '././@LongLink', Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3, 0x28, 0])), rawFile('short', 'L'), END_MARKER]),
    archive("'L' bigger than maxMetaEntryBytes", [rawEntry('L', '././@LongLink', `${'l'.repeat(2000)}\0`), rawFile('short', 'L'), END_MARKER], SMALL_META),
    archive("'K' bigger than maxMetaEntryBytes", [
      rawEntry('K', '././@LongLink', `${'k'.repeat(2000)}\0`),
      rawHeader({ fields: { name: 'sym', typeflag: '2', linkname: 'short' } }),
      END_MARKER,
    ], SMALL_META),
    archive("'L' of size 0", [rawHeader({ fields: { name: '././@LongLink', typeflag: 'L' } }), rawFile('short', 'L'), END_MARKER]),
    archive("'L' then the end of the archive", [rawEntry('L', '././@LongLink', 'dangling\0'), END_MARKER]),
    archive("'L' whose body is cut off", [rawEntry('L', '././@LongLink', `${'l'.repeat(900)}\0`).subarray(0, 1000)]),
  ];
}
