import { checkEntryPath, parsePortablePath } from '../../../../agent/release/entry-path';

describe('parsePortablePath', () => {
  test.each([
    ['a/b/c', false, ['a', 'b', 'c']],
    ['./a//b/./c/', false, ['a', 'b', 'c']],
    ['a\\b', false, ['a', 'b']],
    ['/etc/passwd', true, ['etc', 'passwd']],
    ['////etc/x', true, ['etc', 'x']],
    ['C:../x', true, ['..', 'x']],
    ['c:\\..\\x', true, ['..', 'x']],
    ['\\\\server\\share\\x', true, ['server', 'share', 'x']],
    ['C:/C:/x', true, ['x']],
    ['./', false, []],
  ])('%j is rooted=%j with segments %j', (raw, rooted, segments) => {
    expect(parsePortablePath(raw)).toEqual({ rooted, segments });
  });
});

describe('checkEntryPath', () => {
  test.each([
    ['/x', 'UNPACK_ABSOLUTE_PATH'],
    ['C:x', 'UNPACK_ABSOLUTE_PATH'],
    ['/../x', 'UNPACK_PARENT_PATH'],
    ['a/../b', 'UNPACK_PARENT_PATH'],
    ['C:..\\x', 'UNPACK_PARENT_PATH'],
    ['a/b/c/d', 'UNPACK_TOO_DEEP'],
    ['a\u0000b', 'ARTIFACT_CORRUPT'],
  ])('refuses %j with %s', (raw, code) => {
    const verdict = checkEntryPath(raw, 3);
    expect(verdict.ok ? 'accepted' : verdict.refusal.code).toBe(code);
  });

  test.each([['a/b/c'], ['./a/b/'], ['..a/b..'], ['a/C:/b']])('accepts %j', (raw) => {
    expect(checkEntryPath(raw, 3).ok).toBe(true);
  });
});
