import { ReleaseTree, foldPath, foldUnicode, pathKeys } from '../../../../agent/release/release-tree';

/** A small deterministic generator (xorshift32) for names. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe('foldPath', () => {
  test('folds every ASCII character as the Unicode fold (NFC, lower case, NFC) does', () => {
    for (let code = 0; code < 0x80; code++) {
      const char = String.fromCharCode(code);
      expect({ code, folded: foldPath(char) }).toEqual({ code, folded: foldUnicode(char) });
    }
  });

  test.each([[''], ['.'], ['..'], ['a.'], ['a. '], ['a/b/'], ['A\\B'], ['MiXeD/Case.JS'], ['NODE_MODULES/@Scope/Pkg'], ['a\0B'], [' .. '], ['~$%^&*()[]{}|;\'",<>?`']])(
    'folds the ASCII name %j as the Unicode fold does',
    (name) => {
      expect(foldPath(name)).toBe(foldUnicode(name));
    },
  );

  test('folds generated ASCII paths as the Unicode fold does', () => {
    const next = generator(0x1badb002);
    for (let round = 0; round < 20_000; round++) {
      const length = Math.floor(next() * 40);
      let name = '';
      for (let at = 0; at < length; at++) name += String.fromCharCode(Math.floor(next() * 0x80));
      expect({ name, folded: foldPath(name) }).toEqual({ name, folded: foldUnicode(name) });
    }
  });

  test.each([
    ['caf\u00e9', 'cafe\u0301'],
    ['CAF\u00c9', 'cafe\u0301'],
    ['\u212a', 'k'],
    ['\u0130', 'i\u0307'],
    ['\u00c5NGSTR\u00d6M', '\u212bngstro\u0308m'],
  ])('still folds the non-ASCII name %j onto %j', (name, alike) => {
    expect(foldPath(name)).toBe(foldUnicode(name));
    expect(foldPath(name)).toBe(foldPath(alike));
  });
});

describe('ReleaseTree', () => {
  test('a directory recorded over by a file is no longer a directory (the last-directory shortcut forgets it)', () => {
    const tree = new ReleaseTree();
    tree.add(['a'], 'dir');
    expect(tree.isDirKey('a')).toBe(true);
    tree.add(['a'], 'file');
    expect(tree.isDirKey('a')).toBe(false);
    expect(tree.checkPlacement(['a', 'b'], 'file')?.code).toBe('UNPACK_NAME_COLLISION');
    // Folded lookups see what the path is now: a file beside a file differing only by case.
    expect(tree.checkPlacement(['A'], 'file')).toBeUndefined();
    expect(tree.checkPlacement(['A'], 'dir')?.problem).toContain('(a file)');
  });

  test('refuses a directory differing from an earlier one only by ASCII case, whichever was looked up last', () => {
    const tree = new ReleaseTree();
    tree.add(['lib'], 'dir');
    tree.add(['lib', 'x.js'], 'file', undefined, pathKeys(['lib', 'x.js']));
    expect(tree.isDirKey('lib')).toBe(true);
    expect(tree.checkPlacement(['LIB'], 'dir')?.code).toBe('UNPACK_NAME_COLLISION');
    expect(tree.checkPlacement(['Lib', 'y.js'], 'file')?.code).toBe('UNPACK_NAME_COLLISION');
    expect(tree.checkPlacement(['lib', 'X.JS'], 'file')).toBeUndefined();
    expect(tree.checkPlacement(['lib', 'X.JS'], 'dir')?.code).toBe('UNPACK_NAME_COLLISION');
  });

  test('names the first path recorded with a fold when a later one of another kind folds the same', () => {
    const tree = new ReleaseTree();
    tree.add(['Read.me'], 'file');
    tree.add(['READ.ME'], 'file');

    expect(tree.checkPlacement(['read.me'], 'symlink')).toEqual({
      code: 'UNPACK_NAME_COLLISION',
      problem: 'the entry\'s path equals "Read.me" (a file) after Unicode normalisation or case folding',
    });
    expect([...tree.nodes()]).toEqual([
      { key: 'Read.me', kind: 'file' },
      { key: 'READ.ME', kind: 'file' },
    ]);
  });

  test('a symlink is recorded with its target, never without', () => {
    const tree = new ReleaseTree();
    const target = { rooted: false, segments: ['a'] };
    tree.add(['l'], 'symlink', target);

    expect([...tree.symlinks()]).toEqual([{ segments: ['l'], target }]);
    expect(() => tree.add(['m'], 'symlink')).toThrow('ReleaseTree: the symlink "m" is added without its target');
  });
});
