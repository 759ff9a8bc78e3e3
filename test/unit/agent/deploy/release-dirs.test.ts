import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReleaseDirs } from '../../../../agent/deploy/release-dirs';

describe('ReleaseDirs', () => {
  let root: string;
  let dirs: ReleaseDirs;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-release-dirs-'));
    dirs = new ReleaseDirs(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A complete release directory with one file in it. */
  function makeRelease(version: string): string {
    const dir = path.join(root, 'releases', version);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'server.js'), `// ${version}\n`);
    return dir;
  }

  /** Sets a release directory's mtime to `secondsAgo` before now. */
  function age(version: string, secondsAgo: number): void {
    const when = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(path.join(root, 'releases', version), when, when);
  }

  const tempFilesIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

  describe('prepare', () => {
    it('creates releases/ under the root, and may run again', async () => {
      expect(existsSync(path.join(root, 'releases'))).toBe(false);
      await dirs.prepare();
      expect(statSync(path.join(root, 'releases')).isDirectory()).toBe(true);
      makeRelease('v1');
      await dirs.prepare();
      expect(readdirSync(path.join(root, 'releases'))).toEqual(['v1']);
    });

    it('creates a root that does not exist yet', async () => {
      const nested = new ReleaseDirs(path.join(root, 'a', 'b'));
      await nested.prepare();
      expect(statSync(path.join(root, 'a', 'b', 'releases')).isDirectory()).toBe(true);
    });

    it('names its paths under the root', () => {
      expect(dirs.releases).toBe(path.join(root, 'releases'));
      expect(dirs.currentLink).toBe(path.join(root, 'current'));
      expect(dirs.stateFile).toBe(path.join(root, 'state.json'));
      expect(dirs.dirOf('v7')).toBe(path.join(root, 'releases', 'v7'));
    });
  });

  describe('current', () => {
    beforeEach(() => dirs.prepare());

    it('is undefined when there is no current link', async () => {
      await expect(dirs.current()).resolves.toBeUndefined();
    });

    it('is undefined when the link points to a release directory that is missing', async () => {
      makeRelease('v1');
      symlinkSync(path.join('releases', 'v2'), path.join(root, 'current'));
      await expect(dirs.current()).resolves.toBeUndefined();
    });

    it('is undefined when the link points to a file, not a directory', async () => {
      writeFileSync(path.join(root, 'releases', 'v3'), 'not a dir');
      symlinkSync(path.join('releases', 'v3'), path.join(root, 'current'));
      await expect(dirs.current()).resolves.toBeUndefined();
    });

    it('is the version the link points to when that release is there', async () => {
      makeRelease('v1');
      symlinkSync(path.join('releases', 'v1'), path.join(root, 'current'));
      await expect(dirs.current()).resolves.toBe('v1');
    });
  });

  describe('has', () => {
    it('is true only for a release directory that exists', async () => {
      await dirs.prepare();
      makeRelease('v1');
      writeFileSync(path.join(root, 'releases', 'file'), 'x');
      await expect(dirs.has('v1')).resolves.toBe(true);
      await expect(dirs.has('v2')).resolves.toBe(false);
      await expect(dirs.has('file')).resolves.toBe(false);
    });
  });

  describe('switchCurrent', () => {
    beforeEach(async () => {
      await dirs.prepare();
      makeRelease('v1');
      makeRelease('v2');
    });

    it('creates the link as a relative symlink into releases/ when there is none', async () => {
      await dirs.switchCurrent('v1');
      expect(lstatSync(path.join(root, 'current')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(path.join(root, 'current'))).toBe(path.join('releases', 'v1'));
      await expect(dirs.current()).resolves.toBe('v1');
      expect(tempFilesIn(root)).toEqual([]);
    });

    it('replaces an existing link and leaves no temp file behind', async () => {
      await dirs.switchCurrent('v1');
      expect(readlinkSync(path.join(root, 'current'))).toBe(path.join('releases', 'v1'));

      await dirs.switchCurrent('v2');
      expect(readlinkSync(path.join(root, 'current'))).toBe(path.join('releases', 'v2'));
      await expect(dirs.current()).resolves.toBe('v2');
      expect(readdirSync(root).sort()).toEqual(['current', 'releases']);
    });

    it('resolves through the link to the release files', async () => {
      await dirs.switchCurrent('v2');
      expect(statSync(path.join(root, 'current', 'server.js')).isFile()).toBe(true);
    });

    it('never lets a concurrent reader see no current release while switching 50 times', async () => {
      await dirs.switchCurrent('v1');
      let switching = true;
      const seen: Array<string | undefined> = [];
      const reader = (async () => {
        while (switching) seen.push(await dirs.current());
      })();
      try {
        for (let i = 0; i < 50; i++) await dirs.switchCurrent(i % 2 === 0 ? 'v2' : 'v1');
      } finally {
        switching = false;
        await reader;
      }
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((v) => v !== 'v1' && v !== 'v2')).toEqual([]);
      // 50 switches starting from v1: the last one (i = 49) points back at v1.
      expect(readlinkSync(path.join(root, 'current'))).toBe(path.join('releases', 'v1'));
      expect(tempFilesIn(root)).toEqual([]);
    });
  });

  describe('removeLeftovers', () => {
    it('removes hidden dirs in releases/ and .*.tmp files in the root, but not real releases', async () => {
      await dirs.prepare();
      makeRelease('v1');
      makeRelease('v2.tmp');
      mkdirSync(path.join(root, 'releases', '.v3.unpacking', 'lib'), { recursive: true });
      writeFileSync(path.join(root, 'releases', '.v3.unpacking', 'lib', 'a.js'), 'half');
      mkdirSync(path.join(root, 'releases', '.tmp-42'));
      writeFileSync(path.join(root, '.state.json.0a1b2c3d4e5f.tmp'), '{"sch');
      symlinkSync(path.join('releases', 'v1'), path.join(root, '.current.0a1b2c3d4e5f.tmp'));
      writeFileSync(path.join(root, 'state.json'), '{}');
      writeFileSync(path.join(root, '.keep'), '');
      symlinkSync(path.join('releases', 'v1'), path.join(root, 'current'));

      const removed = await dirs.removeLeftovers();

      expect([...removed].sort()).toEqual(['.tmp-42', '.v3.unpacking']);
      expect(readdirSync(path.join(root, 'releases')).sort()).toEqual(['v1', 'v2.tmp']);
      expect(readdirSync(root).sort()).toEqual(['.keep', 'current', 'releases', 'state.json']);
      expect(readdirSync(path.join(root, 'releases', 'v1'))).toEqual(['server.js']);
      await expect(dirs.current()).resolves.toBe('v1');
    });

    it('removes nothing and returns [] when there is nothing left over', async () => {
      await dirs.prepare();
      makeRelease('v1');
      await expect(dirs.removeLeftovers()).resolves.toEqual([]);
      expect(readdirSync(path.join(root, 'releases'))).toEqual(['v1']);
    });
  });

  describe('prune', () => {
    const remaining = (): string[] => readdirSync(path.join(root, 'releases')).sort();

    /** v1 (oldest) … v5 (newest), each a minute apart. */
    beforeEach(async () => {
      await dirs.prepare();
      for (const [i, version] of ['v1', 'v2', 'v3', 'v4', 'v5'].entries()) {
        makeRelease(version);
        age(version, (5 - i) * 60);
      }
    });

    it('keeps the newest `keep` by mtime and returns what it removed', async () => {
      const removed = await dirs.prune(2, new Set());
      expect([...removed].sort()).toEqual(['v1', 'v2', 'v3']);
      expect(remaining()).toEqual(['v4', 'v5']);
    });

    it('goes by mtime, not by name', async () => {
      age('v1', 0); // v1 is now the newest
      const removed = await dirs.prune(2, new Set());
      expect([...removed].sort()).toEqual(['v2', 'v3', 'v4']);
      expect(remaining()).toEqual(['v1', 'v5']);
    });

    it('never removes a protected release even when it is the oldest, and counts it toward keep', async () => {
      const removed = await dirs.prune(3, new Set(['v1']));
      expect([...removed].sort()).toEqual(['v2', 'v3']);
      expect(remaining()).toEqual(['v1', 'v4', 'v5']);
    });

    it('keeps every protected release even when there are more of them than keep', async () => {
      const removed = await dirs.prune(1, new Set(['v1', 'v2']));
      expect([...removed].sort()).toEqual(['v3', 'v4', 'v5']);
      expect(remaining()).toEqual(['v1', 'v2']);
    });

    it('does not let a protected version that is not there take a place', async () => {
      const removed = await dirs.prune(2, new Set(['v9']));
      expect([...removed].sort()).toEqual(['v1', 'v2', 'v3']);
      expect(remaining()).toEqual(['v4', 'v5']);
    });

    it('removes nothing when there are no more than keep', async () => {
      await expect(dirs.prune(5, new Set())).resolves.toEqual([]);
      await expect(dirs.prune(9, new Set())).resolves.toEqual([]);
      expect(remaining()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    });

    it('removes never-live releases first: after failed pushes the good ones stay (#12.4)', async () => {
      // v1 and v2 went live; v3, v4, v5 (the newest) never did.
      const removed = await dirs.prune(3, new Set(['v5']), ['v2', 'v1']);
      expect([...removed].sort()).toEqual(['v3', 'v4']);
      expect(remaining()).toEqual(['v1', 'v2', 'v5']);
    });

    it('among releases that went live keeps the ones that did last', async () => {
      const removed = await dirs.prune(2, new Set(), ['v1', 'v3', 'v2']);
      expect([...removed].sort()).toEqual(['v2', 'v4', 'v5']);
      expect(remaining()).toEqual(['v1', 'v3']);
    });

    it('leaves hidden dirs, files and symlinks in releases/ alone', async () => {
      mkdirSync(path.join(root, 'releases', '.v6.unpacking'));
      writeFileSync(path.join(root, 'releases', 'notes.txt'), 'x');
      symlinkSync('v1', path.join(root, 'releases', 'alias'));
      for (const name of ['.v6.unpacking', 'notes.txt']) {
        const old = new Date(Date.now() - 3600_000);
        utimesSync(path.join(root, 'releases', name), old, old);
      }
      const removed = await dirs.prune(4, new Set());
      expect(removed).toEqual(['v1']);
      expect(remaining()).toEqual(['.v6.unpacking', 'alias', 'notes.txt', 'v2', 'v3', 'v4', 'v5']);
    });
  });
});
