/**
 * A tmpdir per test: `<root>/outside/secret.txt` is the sentinel an exploit would reach, and
 * `<root>/releases` the releases dir. `expectRefused` asserts the code and that nothing leaked.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { withTimeout } from '../../../support/with-timeout';
import type { Artifact } from '../../../support/hostile-tar';
import {
  UnpackError,
  unpackRelease,
  type UnpackErrorCode,
  type UnpackOptions,
  type UnpackedRelease,
} from '../../../../agent/release/unpack-release';

export const VERSION = 'v1';
export const SECRET = 'ORIGINAL\n';

export interface Sandbox {
  readonly root: string;
  readonly outside: string;
  /** Absolute path of the sentinel file. */
  readonly secret: string;
  readonly releasesDir: string;
  /** From the temp dir (`releases/.unpack-…`), the relative path that reaches the sentinel. */
  readonly secretFromRelease: string;
  /** `snapshot(outside)` right after creation, before any unpack ran. */
  readonly baseline: readonly string[];
}

export async function makeSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'deployctl-unpack-'));
  const outside = path.join(root, 'outside');
  await mkdir(outside);
  const secret = path.join(outside, 'secret.txt');
  await writeFile(secret, SECRET);
  return {
    root,
    outside,
    secret,
    releasesDir: path.join(root, 'releases'),
    secretFromRelease: '../../outside/secret.txt',
    baseline: await snapshot(outside),
  };
}

export async function removeSandbox(sandbox: Sandbox): Promise<void> {
  await rm(sandbox.root, { recursive: true, force: true });
}

/** The artifact as a stream of 16 KiB chunks, like a download. */
export function chunked(bytes: Buffer, chunkSize = 16 * 1024): Readable {
  return Readable.from(
    (function* chunks() {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
    })(),
  );
}

export function unpackInto(
  sandbox: Sandbox,
  artifact: Artifact,
  overrides: Partial<UnpackOptions> = {},
): Promise<UnpackedRelease> {
  return withTimeout(
    unpackRelease({
      source: chunked(artifact.bytes),
      expected: artifact.expected,
      releasesDir: sandbox.releasesDir,
      version: VERSION,
      ...overrides,
    }),
    30_000,
    'unpackRelease',
  );
}

/** Every path under `dir` with a digest of what it is, to compare before and after. */
export async function snapshot(dir: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const child = path.join(current, name);
      const stats = await lstat(child);
      const what = stats.isFile()
        ? `file nlink=${stats.nlink} mode=${(stats.mode & 0o7777).toString(8)} sha=${createHash('sha256').update(await readFile(child)).digest('hex')}`
        : stats.isDirectory()
          ? 'dir'
          : 'other';
      lines.push(`${path.relative(dir, child)}: ${what}`);
      if (stats.isDirectory()) await walk(child);
    }
  };
  await walk(dir);
  return lines;
}

/**
 * Awaits a refusal and checks the whole sandbox: the right code (and entry when given), the
 * sentinel untouched (content, link count), nothing new anywhere in the sandbox root, no
 * `releases/v1`, and no temp dir left in `releases`.
 */
export async function expectRefused(
  sandbox: Sandbox,
  attempt: Promise<unknown>,
  code: UnpackErrorCode,
  entryPath?: string,
): Promise<UnpackError> {
  let caught: unknown;
  try {
    await attempt;
  } catch (error: unknown) {
    caught = error;
  }
  if (!(caught instanceof UnpackError)) {
    throw new Error(`expected an UnpackError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  expect({ code: caught.code, message: caught.message }).toEqual({ code, message: expect.any(String) });
  if (entryPath !== undefined) expect(caught.entryPath).toBe(entryPath);
  expect(await snapshot(sandbox.outside)).toEqual(sandbox.baseline);
  expect(await readFile(sandbox.secret, 'utf8')).toBe(SECRET);
  expect((await lstat(sandbox.secret)).nlink).toBe(1);
  expect((await readdir(sandbox.root)).sort()).toEqual(['outside', 'releases']);
  expect(await readdir(sandbox.outside)).toEqual(['secret.txt']);
  expect(await readdir(sandbox.releasesDir)).toEqual([]);
  return caught;
}
