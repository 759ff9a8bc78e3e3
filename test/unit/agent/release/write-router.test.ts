import path from 'node:path';
import { WriteRouter, parentOf } from '../../../../agent/release/write-router';

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

describe('WriteRouter.placeOf', () => {
  const root = path.resolve('/srv/releases/.tmp-v1');

  test('finds each entry its own parent, whichever directory was looked up last', () => {
    const router = new WriteRouter(root);
    const rootPlace = router.placeOf(`${root}/a`);
    router.addDir(`${root}/a`, rootPlace, 1, 10);
    router.addDir(`${root}/ab`, rootPlace, 0, 11);
    router.addDir(`${root}/a/b`, router.placeOf(`${root}/a/b`), 1, 12);
    const sequence: [string, number][] = [
      [`${root}/a/x.js`, 10],
      [`${root}/a/y.js`, 10],
      [`${root}/ab/x.js`, 11],
      [`${root}/a/b/x.js`, 12],
      [`${root}/a/b`, 10],
      [`${root}/x.js`, -1],
      [`${root}/a/z.js`, 10],
      [`${root}/ab/y.js`, 11],
    ];
    for (const [absolute, op] of sequence) expect({ absolute, op: router.placeOf(absolute).op }).toEqual({ absolute, op });
  });

  test('refuses an entry whose parent was never routed, right after a sibling directory was', () => {
    const router = new WriteRouter(root);
    router.addDir(`${root}/a`, router.placeOf(`${root}/a`), 0, 1);
    expect(router.placeOf(`${root}/a/x.js`).op).toBe(1);
    expect(() => router.placeOf(`${root}/b/x.js`)).toThrow(/queued before its parent directory/);
    expect(() => router.placeOf(`${root}/a/c/x.js`)).toThrow(/queued before its parent directory/);
  });

  test('a directory routed again after its entries were placed gives its new place', () => {
    const router = new WriteRouter(root);
    const rootPlace = router.placeOf(`${root}/a`);
    router.addDir(`${root}/a`, rootPlace, 0, 1);
    expect(router.placeOf(`${root}/a/x.js`).op).toBe(1);
    router.addDir(`${root}/a`, rootPlace, 1, 7);
    expect(router.placeOf(`${root}/a/y.js`)).toEqual({ shard: 1, op: 7, depth: 1 });
  });
});
