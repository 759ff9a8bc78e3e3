import path from 'node:path';
import { parentOf } from '../../../../agent/release/write-router';

describe('parentOf', () => {
  test.each([['/r/a'], ['/r/a/b.js'], ['/'], ['//x'], ['///x'], ['/x'], ['/r/a/'], ['/r//a'], ['a'], ['a/b'], ['a//b'], [''], ['.'], ['/r/a b/c d'], ['/r/é/ñ']])(
    '%j has the parent path.dirname gives',
    (absolute) => {
      expect(parentOf(absolute)).toBe(path.dirname(absolute));
    },
  );

  test('gives path.dirname on every path of up to 6 characters of /, a, .', () => {
    let level = [''];
    for (let length = 1; length <= 6; length++) {
      level = level.flatMap((prefix) => ['/', 'a', '.'].map((char) => prefix + char));
      for (const candidate of level) expect({ candidate, parent: parentOf(candidate) }).toEqual({ candidate, parent: path.dirname(candidate) });
    }
  });
});
