import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateBigFileTree } from './big-file-tree';

describe('generateBigFileTree (bench:artifact big-file case)', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'big-file-tree-test-'));
  });
  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
  });

  const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

  it('writes an app with one file of exactly the MiB asked, the same bytes on every run', () => {
    const a = generateBigFileTree(path.join(work, 'a'), 3);
    const b = generateBigFileTree(path.join(work, 'b'), 3);
    expect(statSync(path.join(a.dir, 'data', 'big.bin')).size).toBe(3 * 1024 * 1024);
    expect(readdirSync(a.dir).sort()).toEqual(['data', 'package.json', 'server.js']);
    expect(JSON.parse(readFileSync(path.join(a.dir, 'package.json'), 'utf8'))).toMatchObject({ main: 'server.js' });
    expect(a.files).toBe(3);
    expect(a.bytes).toBe(3 * 1024 * 1024 + statSync(path.join(a.dir, 'package.json')).size + statSync(path.join(a.dir, 'server.js')).size);
    expect(digest(path.join(b.dir, 'data', 'big.bin'))).toBe(digest(path.join(a.dir, 'data', 'big.bin')));
  });
});
