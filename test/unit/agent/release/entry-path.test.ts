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

/**
 * The reading parsePortablePath must give, written the plain way (regexes, replace, split,
 * filter): its one-scan implementation is checked against this on every short path over the
 * characters that matter and on longer generated ones.
 */
function portablePathByRegex(raw: string): { rooted: boolean; segments: string[] } {
  let rest = raw.replace(/\\/g, '/');
  let rooted = false;
  for (;;) {
    if (/^[A-Za-z]:/.test(rest)) {
      rest = rest.slice(2);
      rooted = true;
    } else if (rest.startsWith('/')) {
      rest = rest.replace(/^\/+/, '');
      rooted = true;
    } else {
      break;
    }
  }
  return { rooted, segments: rest.split('/').filter((segment) => segment !== '' && segment !== '.') };
}

/** Every string of up to `maxLength` characters of `alphabet`. */
function* allStrings(alphabet: readonly string[], maxLength: number): Generator<string> {
  let level = [''];
  yield '';
  for (let length = 1; length <= maxLength; length++) {
    const next: string[] = [];
    for (const prefix of level) {
      for (const char of alphabet) {
        next.push(prefix + char);
        yield prefix + char;
      }
    }
    level = next;
  }
}

describe('parsePortablePath against its regex reading', () => {
  test('gives the same result on every path of up to 6 characters of a, C, z, ., /, \\, :', () => {
    let mismatches = 0;
    let checked = 0;
    for (const raw of allStrings(['a', 'C', 'z', '.', '/', '\\', ':'], 6)) {
      checked += 1;
      const fast = parsePortablePath(raw);
      const expected = portablePathByRegex(raw);
      if (fast.rooted !== expected.rooted || fast.segments.join('\0') !== expected.segments.join('\0') || fast.segments.length !== expected.segments.length) {
        mismatches += 1;
        expect({ raw, got: fast }).toEqual({ raw, got: expected });
      }
    }
    expect(checked).toBe((7 ** 7 - 1) / 6);
    expect(mismatches).toBe(0);
  });

  test('gives the same result on generated long paths (drive letters, NUL, non-ASCII, dots, spaces)', () => {
    const alphabet = ['a', 'B', 'node_modules', '.', '..', '...', ' ', '/', '//', '\\', ':', 'C:', '@', '\0', 'é', 'e\u0301', '\u0130', '\u212a', '🙂'];
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let round = 0; round < 20_000; round++) {
      const parts = Math.floor(next() * 16);
      let raw = '';
      for (let part = 0; part < parts; part++) raw += alphabet[Math.floor(next() * alphabet.length)] as string;
      expect({ raw, got: parsePortablePath(raw) }).toEqual({ raw, got: portablePathByRegex(raw) });
    }
  });

  test.each([['a/./b/.'], ['.'], ['..'], ['./.'], ['C:'], ['c:/'], ['1:/x'], ['é:/x'], ['a:b:c'], ['/C:/x'], ['x\\..\\y'], ['a/b/'], ['a\0b/c']])(
    '%j reads as its regex reading does',
    (raw) => {
      expect(parsePortablePath(raw)).toEqual(portablePathByRegex(raw));
    },
  );
});
