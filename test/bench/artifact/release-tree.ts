import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { binaryContent, jsContent, jsonContent, Vocabulary } from './content';
import { Prng } from './prng';

/** The same tree on every run. */
const SEED = 0x5eed_a47f;
/** At BENCH_MB=100: ~20,000 files, ~100 MB (DESIGN of the bench: a node_modules-like app). */
const FILES_PER_MB = 200;
/** Large files (bundles, source maps, native addons) per 100 MB, each 1-10 MB. */
const LARGE_PER_100_MB = 6;
/** Large files hold at most this share of the bytes; small files the rest. */
const LARGE_SHARE_MAX = 0.35;
const SMALL_MIN = 200;
const SMALL_MAX = 20_000;
const MB = 1_000_000;

/** 'app': the root package.json, written as is. */
type Kind = 'js' | 'json' | 'binary' | 'app';

interface PlannedFile {
  readonly path: string;
  readonly kind: Kind;
  /** The package name (package.json documents). */
  readonly name: string;
  size: number;
}

export interface GeneratedTree {
  readonly dir: string;
  /** Regular files written. */
  readonly files: number;
  /** Bytes of all regular files. */
  readonly bytes: number;
  readonly dirs: number;
}

/**
 * Writes a node_modules-like release tree of about `mb` MB into `dir` (which
 * must not exist): an app (package.json with "main": "server.js", server.js,
 * src/) and nested package dirs (plain and scoped, some with their own
 * node_modules) of many small JS/JSON files (200 B-20 KB, log-uniform, so most
 * are a few KB), plus a few large files (1-10 MB bundles, source maps and a
 * native addon). Content is generated from a seeded PRNG: the same tree, byte
 * for byte, on every run; it gzips about 3-5x, like real code.
 */
export function generateTree(dir: string, mb: number): GeneratedTree {
  const prng = new Prng(SEED);
  const vocab = new Vocabulary(prng);
  const plan = planTree(prng, vocab, mb);
  const dirs = new Set<string>();
  let bytes = 0;
  for (const file of plan) {
    const absolute = path.join(dir, file.path);
    const parent = path.dirname(absolute);
    if (!dirs.has(parent)) {
      mkdirSync(parent, { recursive: true });
      dirs.add(parent);
    }
    const content = contentOf(file, prng, vocab);
    writeFileSync(absolute, content);
    bytes += content.length;
  }
  return { dir, files: plan.length, bytes, dirs: dirs.size };
}

function contentOf(file: PlannedFile, prng: Prng, vocab: Vocabulary): Buffer {
  switch (file.kind) {
    case 'app':
      // deployctl push checks the entry file: "main" names server.js.
      return Buffer.from(`${JSON.stringify({ name: file.name, version: '1.0.0', private: true, main: 'server.js' }, null, 2)}\n`);
    case 'json':
      return jsonContent(prng, vocab, file.name, file.size);
    case 'binary':
      return binaryContent(prng, vocab, file.size);
    case 'js':
      return jsContent(prng, vocab, file.size);
  }
}

function planTree(prng: Prng, vocab: Vocabulary, mb: number): PlannedFile[] {
  const targetFiles = Math.max(50, Math.round(FILES_PER_MB * mb));
  const targetBytes = mb * MB;
  const files: PlannedFile[] = [];
  const taken = new Set<string>();
  const add = (filePath: string, kind: Kind, name: string): void => {
    let unique = filePath;
    for (let n = 2; taken.has(unique); n += 1) unique = filePath.replace(/(\.[a-z.]+)?$/, `-${n}$1`);
    taken.add(unique);
    files.push({ path: unique, kind, name, size: 0 });
  };

  // The app itself.
  add('package.json', 'app', 'bench-app');
  add('server.js', 'js', 'bench-app');
  const appFiles = Math.max(5, Math.round(targetFiles * 0.01));
  for (let i = 0; i < appFiles; i += 1) add(`src/${pathIn(prng, vocab, 1)}${kebab(prng.pick(vocab.identifiers))}.js`, 'js', 'bench-app');

  // Large files first (they are placed in packages below, so only their paths are kept here).
  const largeCount = Math.max(1, Math.round((LARGE_PER_100_MB * mb) / 100));
  const large: { kind: Kind; suffix: string; size: number }[] = [];
  const kinds: readonly { kind: Kind; suffix: string }[] = [
    { kind: 'js', suffix: 'dist/bundle.min.js' },
    { kind: 'js', suffix: 'dist/bundle.min.js.map' },
    { kind: 'binary', suffix: 'build/Release/addon.node' },
  ];
  for (let i = 0; i < largeCount; i += 1) {
    const { kind, suffix } = kinds[i % kinds.length] ?? { kind: 'js', suffix: 'dist/bundle.min.js' };
    large.push({ kind, suffix, size: prng.int(1 * MB, 10 * MB) });
  }
  const largeTotal = large.reduce((sum, f) => sum + f.size, 0);
  if (largeTotal > LARGE_SHARE_MAX * targetBytes) {
    const scale = (LARGE_SHARE_MAX * targetBytes) / largeTotal;
    for (const f of large) f.size = Math.max(Math.min(1 * MB, f.size), Math.round(f.size * scale));
  }

  // Packages until the file budget is spent.
  const smallTarget = targetFiles - large.length;
  const packages: string[] = [];
  const addPackage = (base: string, depth: number): void => {
    const name = packageName(prng, vocab);
    const dir = `${base}node_modules/${name}`;
    packages.push(dir);
    add(`${dir}/package.json`, 'json', name);
    add(`${dir}/index.js`, 'js', name);
    add(`${dir}/README.md`, 'js', name);
    if (prng.next() < 0.7) add(`${dir}/LICENSE`, 'js', name);
    // A package has a few folders (lib/, lib/x/, dist/esm/...), each holding several files.
    const folders = Array.from({ length: prng.int(1, 4) }, () => `${prng.pick(['lib', 'lib', 'dist', 'src', 'types', 'esm', 'cjs'])}/${pathIn(prng, vocab, 1)}`);
    const more = prng.int(1, 24);
    for (let i = 0; i < more && files.length < smallTarget; i += 1) {
      const ext = prng.pick(['.js', '.js', '.js', '.d.ts', '.js.map', '.json', '.mjs', '.cjs']);
      add(`${dir}/${prng.pick(folders)}${kebab(prng.pick(vocab.identifiers))}${ext}`, ext === '.json' ? 'json' : 'js', name);
    }
    if (depth < 2 && prng.next() < 0.15) {
      const nested = prng.int(1, 3);
      for (let i = 0; i < nested && files.length < smallTarget; i += 1) addPackage(`${dir}/`, depth + 1);
    }
  };
  while (files.length < smallTarget) addPackage('', 0);
  const smallFiles = files.filter((f) => f.kind !== 'app');
  for (const f of large) {
    const pkg = packages[prng.int(0, packages.length - 1)] ?? 'node_modules/big';
    add(`${pkg}/${f.suffix}`, f.kind, pkg);
    const planned = files[files.length - 1];
    if (planned) planned.size = f.size;
  }

  // Small sizes: log-uniform, scaled so that everything adds up to the target.
  const smallBytes = Math.max(smallFiles.length * SMALL_MIN, targetBytes - large.reduce((sum, f) => sum + f.size, 0));
  const raw = smallFiles.map(() => prng.logUniform(SMALL_MIN, SMALL_MAX));
  const sized = (k: number): number[] => raw.map((r) => Math.min(SMALL_MAX, Math.max(SMALL_MIN, Math.round(r * k))));
  let low = 0.01;
  let high = 100;
  for (let i = 0; i < 60; i += 1) {
    const mid = Math.sqrt(low * high);
    if (sized(mid).reduce((a, b) => a + b, 0) < smallBytes) low = mid;
    else high = mid;
  }
  sized(low).forEach((size, i) => {
    const f = smallFiles[i];
    if (f) f.size = size;
  });
  return files;
}

function pathIn(prng: Prng, vocab: Vocabulary, maxDepth: number): string {
  let out = '';
  const depth = prng.int(0, maxDepth);
  for (let i = 0; i < depth; i += 1) out += `${kebab(prng.pick(vocab.identifiers))}/`;
  return out;
}

function packageName(prng: Prng, vocab: Vocabulary): string {
  const base = `${kebab(prng.pick(vocab.identifiers))}${prng.next() < 0.5 ? `-${kebab(prng.pick(vocab.identifiers))}` : ''}`;
  return prng.next() < 0.1 ? `@${kebab(prng.pick(vocab.identifiers))}/${base}` : base;
}

function kebab(identifier: string): string {
  return identifier.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
