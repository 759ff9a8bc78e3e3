/**
 * The uncompressed tar of every archive the unpacker's regression tests build (node-tar-advisories,
 * entry-safety, artifact-checks), with the same hostile-tar.ts builders and fixed strings where
 * those tests use sandbox paths. Sizes of bombs are scaled down: the parser sees the same shapes.
 */
import { TYPE, entryBlocks, paxBlocks, tarOf, type HostileEntry } from '../hostile-tar';
import { randomLike, type DifferentialCase } from './differential-case';

const OUTSIDE = '/tmp/deployctl-unpack-x/outside';
const SECRET = `${OUTSIDE}/secret.txt`;
const SECRET_FROM_RELEASE = '../../outside/secret.txt';

const entries = (name: string, list: readonly HostileEntry[]): DifferentialCase => ({ name, tar: tarOf(list) });

export function regressionArchives(): DifferentialCase[] {
  return [
    // node-tar-advisories.test.ts
    entries('CVE-2018-20834 hardlink outside then overwrite', [
      { path: 'pwn', type: TYPE.hardlink, linkpath: SECRET },
      { path: 'pwn', body: 'PWNED\n' },
    ]),
    entries('CVE-2021-32803 dir, symlink over it, file below', [
      { path: 'a/', type: TYPE.dir },
      { path: 'a', type: TYPE.symlink, linkpath: OUTSIDE },
      { path: 'a/x', body: 'PWNED\n' },
    ]),
    entries('CVE-2021-32804 repeated roots', [{ path: `///${OUTSIDE}/pwn`, body: 'PWNED\n' }]),
    entries('CVE-2021-32804 rooted ..', [{ path: '/../x', body: 'PWNED\n' }]),
    entries('CVE-2021-37701 backslash alias', [
      { path: 'a/b/', type: TYPE.dir },
      { path: 'a\\b', type: TYPE.symlink, linkpath: '../elsewhere' },
      { path: 'a/b/x', body: 'PWNED\n' },
    ]),
    entries('CVE-2021-37712 unicode normalisation collision', [
      { path: 'e\u0301/', type: TYPE.dir },
      { path: '\u00e9', type: TYPE.symlink, linkpath: 'elsewhere' },
      { path: 'e\u0301/x', body: 'PWNED\n' },
    ]),
    entries('CVE-2021-37713 drive-relative and UNC paths', [
      { path: 'C:../x', body: 'PWNED\n' },
      { path: 'c:\\..\\x', body: 'PWNED\n' },
      { path: '\\\\server\\share\\x', body: 'PWNED\n' },
    ]),
    entries('CVE-2024-28863 path 100 000 directories deep (pax path)', [{ path: `${'a/'.repeat(100_000)}x`, body: 'deep\n' }]),
    entries('CVE-2026-23745 absolute hardlink and symlink targets', [
      { path: 'config.json', type: TYPE.hardlink, linkpath: SECRET },
      { path: 'passwd', type: TYPE.symlink, linkpath: SECRET },
      { path: 'passwd', body: 'PWNED\n' },
    ]),
    entries('CVE-2026-26960 symlink chain then hardlink', [
      { path: 'a/b/c/', type: TYPE.dir },
      { path: 'a/b/c/up', type: TYPE.symlink, linkpath: '../..' },
      { path: 'a/b/escape', type: TYPE.symlink, linkpath: 'c/up/../..' },
      { path: 'exfil', type: TYPE.hardlink, linkpath: 'a/b/escape/../outside/secret.txt' },
      { path: 'exfil', body: 'PWNED\n' },
    ]),
    entries('CVE-2026-29786 drive-relative link targets', [
      { path: 'l', type: TYPE.hardlink, linkpath: `C:${SECRET_FROM_RELEASE}` },
      { path: 'm', type: TYPE.symlink, linkpath: `C:${SECRET_FROM_RELEASE}` },
    ]),
    entries('CVE-2026-59873 entry claiming a big body (scaled to 256 KiB of zeros)', [
      { path: 'bomb.bin', body: Buffer.alloc(256 * 1024) },
    ]),
    { name: 'CVE-2026-59873 zero padding after the end marker', tar: Buffer.concat([tarOf([{ path: 'a', body: 'a' }]), Buffer.alloc(64 * 1024)]) },
    {
      name: 'CVE-2026-59873 pax headers that never reach an entry (256 of them)',
      tar: Buffer.concat([
        ...Array.from({ length: 256 }, () => Buffer.concat(paxBlocks({ comment: 'x'.repeat(400) }))),
        ...entryBlocks({ path: 'a', body: 'a' }),
      ]),
    },
    {
      name: 'CVE-2026-59873 pax header bigger than maxMetaEntryBytes',
      tar: Buffer.concat([...paxBlocks({ comment: 'x'.repeat(2 * 1024 * 1024) }), ...entryBlocks({ path: 'a', body: 'a' }), Buffer.alloc(1024)]),
    },
    // entry-safety.test.ts
    entries('device, FIFO, unknown and sparse types', [
      { path: 'ok.txt', body: 'fine\n' },
      { path: 'dev/null', type: TYPE.charDevice },
      { path: 'sda', type: TYPE.blockDevice },
      { path: 'pipe', type: TYPE.fifo },
      { path: 'mystery', type: 'Z', body: 'data' },
      { path: 'sparse', type: 'S', body: 'data' },
      { path: 'after', body: 'still parsed\n' },
    ]),
    entries('deep implicit parents and long symlink target', [
      { path: 'a/b/c/d/e/f', body: 'x' },
      { path: 'l', type: TYPE.symlink, linkpath: `${'x/'.repeat(20)}y` },
    ]),
    entries('parent paths', [
      { path: '../../outside/pwn', body: 'PWNED\n' },
      { path: 'a/../../x', body: 'PWNED\n' },
      { path: 'a\\..\\..\\x', body: 'PWNED\n' },
    ]),
    entries('symlink loop and late escape', [
      { path: 'a', type: TYPE.symlink, linkpath: 'b/x' },
      { path: 'b', type: TYPE.symlink, linkpath: 'a/y' },
      { path: 'p/l', type: TYPE.symlink, linkpath: 'q/..' },
      { path: 'p/q', type: TYPE.symlink, linkpath: '..' },
    ]),
    entries('name collisions', [
      { path: 'server.js', body: 'one' },
      { path: './server.js', body: 'two' },
      { path: 'a', body: 'file' },
      { path: 'a/b', body: 'below a file' },
      { path: './', type: TYPE.symlink, linkpath: 'a' },
    ]),
    // artifact-checks.test.ts
    { name: 'truncated tar (ends inside an entry, no end marker)', tar: tarOf([{ path: 'a', body: randomLike(10_000) }], { endMarker: false }).subarray(0, 4096) },
    { name: 'garbage bytes (not a tar)', tar: randomLike(4096, 7) },
    { name: 'empty tar (two zero blocks only)', tar: Buffer.alloc(1024) },
    { name: 'empty input', tar: Buffer.alloc(0) },
    entries('only the ./ root entry', [{ path: './', type: TYPE.dir }]),
  ];
}
