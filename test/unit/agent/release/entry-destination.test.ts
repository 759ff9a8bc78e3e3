import path from 'node:path';
import { isPlainSegment, safeJoin } from '../../../../agent/release/entry-destination';
import { UnpackError } from '../../../../agent/release/unpack-error';

/** The plain-segment rule written the plain way: its one-scan implementation must agree. */
function plainByIncludes(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('/') && !segment.includes(path.sep) && !segment.includes('\0');
}

describe('isPlainSegment', () => {
  test('agrees with the includes() reading on every segment of up to 5 characters of a, ., /, \\, NUL, é', () => {
    let level = [''];
    expect(isPlainSegment('')).toBe(plainByIncludes(''));
    for (let length = 1; length <= 5; length++) {
      level = level.flatMap((prefix) => ['a', '.', '/', '\\', '\0', 'é'].map((char) => prefix + char));
      for (const segment of level) expect({ segment, plain: isPlainSegment(segment) }).toEqual({ segment, plain: plainByIncludes(segment) });
    }
  });
});

describe('safeJoin', () => {
  const root = path.resolve('/srv/releases/.tmp-v1');

  test('joins plain segments below the root', () => {
    expect(safeJoin(root, ['a', 'b.js'], 'a/b.js')).toBe(path.join(root, 'a', 'b.js'));
  });

  test.each([[['..', 'x']], [['a', '..', '..', 'x']], [[]]])('refuses %j, which does not land strictly below the root', (segments) => {
    expect(() => safeJoin(root, segments, 'x')).toThrow(UnpackError);
  });

  test('joins a segment that is not plain but stays below the root through path.join', () => {
    expect(safeJoin(root, ['a', '.', 'b'], 'a/./b')).toBe(path.join(root, 'a', 'b'));
  });
});
