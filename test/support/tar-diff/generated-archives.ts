/**
 * Real archives for the differential test, written into a temp dir: GNU tar in each format
 * (gnu, oldgnu, ustar, pax, v7) over a tree of awkward names and links, node-tar's `create`, and
 * `packDirectory` (what `deployctl push` uploads) over the bench's tree shape, gunzipped.
 */
import { mkdirSync, symlinkSync, linkSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { create } from 'tar';
import { packDirectory } from '../../../cli/pack/pack';
import { generateTree } from '../../bench/artifact/release-tree';
import { runCommand } from '../run-command';
import { randomLike, type DifferentialCase } from './differential-case';

type TreeKind = 'full' | 'ustar' | 'v7';

/**
 * `full`: names over 100 and 255 bytes, a link target over 100 bytes, non-ASCII names, hard and
 * symbolic links, empty files, files of exactly 512 and 1024 bytes, a 300 KiB file, nested dirs.
 * `ustar`: the same without names ustar cannot hold (a 100-255 byte path goes in the prefix).
 * `v7`: names under 100 bytes only.
 */
export function writeAwkwardTree(dir: string, kind: TreeKind): void {
  const put = (relative: string, content: Buffer | string): void => {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  };
  put('package.json', '{"name":"awkward","main":"server.js"}\n');
  put('empty', '');
  put('block-512.bin', randomLike(512, 512));
  put('block-1024.bin', randomLike(1024, 1024));
  put('block-511.bin', randomLike(511, 511));
  put('big/300k.bin', randomLike(300 * 1024, 300));
  put('src/lib/deep/er/still/file.js', 'module.exports = 1;\n');
  put('unicode/héllo-日本語-🚀.txt', 'non-ascii\n');
  mkdirSync(path.join(dir, 'empty-dir'), { recursive: true });
  symlinkSync('../package.json', path.join(dir, 'src/pkg-link'));
  linkSync(path.join(dir, 'block-512.bin'), path.join(dir, 'hard-link.bin'));
  if (kind === 'v7') return;
  // ustar: a 150-byte path whose directory part fits the 155-byte prefix.
  put(`${'p'.repeat(60)}/${'q'.repeat(60)}/file-${'r'.repeat(20)}.txt`, 'in the prefix\n');
  if (kind === 'ustar') return;
  put(`long/${'n'.repeat(120)}.txt`, 'a 120-byte file name\n');
  put(`${'d'.repeat(200)}/${'e'.repeat(200)}/${'f'.repeat(150)}.txt`, 'a path over 255 bytes\n');
  symlinkSync(`${'../'.repeat(10)}${'t'.repeat(150)}/target`, path.join(dir, 'long-target-link'));
  put(`unicode/${'ü'.repeat(60)}.txt`, 'a 120-byte non-ascii name\n');
}

const FORMATS: readonly { readonly format: string; readonly tree: TreeKind; readonly bigNumbers: boolean }[] = [
  { format: 'gnu', tree: 'full', bigNumbers: true },
  { format: 'oldgnu', tree: 'full', bigNumbers: true },
  { format: 'pax', tree: 'full', bigNumbers: true },
  { format: 'ustar', tree: 'ustar', bigNumbers: false },
  { format: 'v7', tree: 'v7', bigNumbers: false },
];

/** GNU tar's archive of each format (and of gnu/pax with a uid and mtime too big for octal). */
export async function systemTarArchives(workDir: string): Promise<DifferentialCase[]> {
  const trees = new Map<TreeKind, string>();
  for (const kind of ['full', 'ustar', 'v7'] as const) {
    const dir = path.join(workDir, `tree-${kind}`);
    mkdirSync(dir);
    writeAwkwardTree(dir, kind);
    trees.set(kind, dir);
  }
  const cases: DifferentialCase[] = [];
  const tarOf = async (name: string, dir: string, args: readonly string[]): Promise<void> => {
    const out = path.join(workDir, `${name.replace(/[^a-z0-9]+/gi, '-')}.tar`);
    const result = await runCommand('tar', ['-cf', out, '--sort=name', ...args, '-C', dir, '.'], { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`tar ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    cases.push({ name, tar: readFileSync(out) });
  };
  for (const { format, tree, bigNumbers } of FORMATS) {
    const dir = trees.get(tree) ?? '';
    await tarOf(`GNU tar --format=${format}`, dir, [`--format=${format}`, '--mtime=@1700000000']);
    await tarOf(`GNU tar --format=${format} --numeric-owner`, dir, [`--format=${format}`, '--numeric-owner', '--mtime=@1700000000']);
    if (bigNumbers) {
      await tarOf(`GNU tar --format=${format} with base-256 uid/gid and mtime`, dir, [
        `--format=${format}`,
        '--numeric-owner',
        '--owner=:3000000',
        '--group=:3000000',
        '--mtime=@99999999999',
      ]);
    }
  }
  return cases;
}

/** node-tar's own archives of the full tree: portable, and with uid/gid/mtime and pax headers. */
export async function nodeTarArchives(workDir: string): Promise<DifferentialCase[]> {
  const dir = path.join(workDir, 'tree-node-tar');
  mkdirSync(dir);
  writeAwkwardTree(dir, 'full');
  const archiveOf = async (portable: boolean): Promise<Buffer> => buffer(create({ cwd: dir, portable, gzip: false }, ['.']));
  return [
    { name: 'node-tar create (portable)', tar: await archiveOf(true) },
    { name: 'node-tar create (not portable)', tar: await archiveOf(false) },
  ];
}

/** `packDirectory` over the bench's node_modules-like tree (about 1 MB: ~200 small files in nested dirs), gunzipped. */
export async function packedBenchTree(workDir: string): Promise<DifferentialCase> {
  const dir = path.join(workDir, 'bench-tree');
  generateTree(dir, 1);
  const gzipped = await buffer(await packDirectory(dir));
  return { name: 'packDirectory of the bench tree shape', tar: gunzipSync(gzipped) };
}
