import { Prng } from './prng';

/**
 * File contents that compress like real code (gzip ratio around 3-5x): lines
 * of JS built from a shared vocabulary of keywords and identifiers, with some
 * randomness mixed in (fresh identifiers, hex/base64 literals, numbers) the way
 * real packages carry hashes, minified names and data. Neither all zeros nor
 * all random.
 */
const KEYWORDS = ['const', 'let', 'var', 'function', 'return', 'if', 'else', 'for', 'while', 'new', 'this', 'typeof', 'await', 'async', 'class', 'extends', 'null', 'undefined', 'true', 'false'];
const OPS = ['===', '!==', '+', '-', '*', '&&', '||', '??', '<', '>=', '|'];
const SYLLABLES = ['get', 'set', 'on', 'handle', 'parse', 'read', 'write', 'open', 'close', 'buffer', 'stream', 'node', 'value', 'key', 'map', 'list', 'item', 'state', 'config', 'options', 'error', 'result', 'data', 'path', 'file', 'module', 'export', 'request', 'response', 'socket', 'event', 'emit', 'queue', 'task', 'render', 'props', 'child', 'token', 'index', 'length', 'cache', 'hash', 'size', 'type', 'name', 'format', 'encode', 'decode', 'util', 'core'];

/** What one generated tree shares: identifiers and package names, like code that imports each other. */
export class Vocabulary {
  readonly identifiers: readonly string[];

  constructor(prng: Prng, count = 3000) {
    const identifiers: string[] = [];
    for (let i = 0; i < count; i += 1) identifiers.push(identifier(prng));
    this.identifiers = identifiers;
  }
}

function identifier(prng: Prng): string {
  const parts = prng.int(1, 3);
  let name = prng.pick(SYLLABLES);
  for (let i = 1; i < parts; i += 1) {
    const s = prng.pick(SYLLABLES);
    name += s.charAt(0).toUpperCase() + s.slice(1);
  }
  return name;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';

function randomString(prng: Prng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(prng.nextU32() % alphabet.length);
  return out;
}

/**
 * A file's own names: a few dozen identifiers, mostly the vocabulary's common ones (a Zipf-like
 * pick), used over and over in the file as real modules do.
 */
function localNames(prng: Prng, vocab: Vocabulary): string[] {
  const names: string[] = [];
  const count = prng.int(12, 40);
  for (let i = 0; i < count; i += 1) {
    const rank = Math.floor(vocab.identifiers.length ** prng.next()) - 1;
    names.push(vocab.identifiers[rank] ?? prng.pick(vocab.identifiers));
  }
  return names;
}

/** One line of JS; `noise` (0-1) is the chance of a random literal or a fresh name. */
function jsLine(prng: Prng, vocab: Vocabulary, names: readonly string[], indent: number, noise: number): string {
  const id = (): string => {
    const r = prng.next();
    if (r < noise * 0.2) return `_${randomString(prng, BASE64.slice(0, 52), prng.int(2, 6))}`;
    return r < 0.85 ? prng.pick(names) : prng.pick(vocab.identifiers);
  };
  const lit = (): string => {
    const r = prng.next();
    if (r < noise) return `'${randomString(prng, prng.next() < 0.5 ? HEX : BASE64, prng.int(8, 40))}'`;
    if (r < noise + 0.3) return String(prng.int(0, 100000));
    return `'${prng.pick(names)}'`;
  };
  const pad = '  '.repeat(indent);
  switch (prng.int(0, 11)) {
    case 0:
      return `${pad}const ${id()} = require('${prng.pick(vocab.identifiers)}/${prng.pick(vocab.identifiers)}');`;
    case 1:
      return `${pad}function ${id()}(${id()}, ${id()}) {`;
    case 2:
      return `${pad}if (${id()}.${id()} ${prng.pick(OPS)} ${lit()}) return ${id()};`;
    case 3:
      return `${pad}${id()}.${id()}(${id()}, ${lit()});`;
    case 4:
      return `${pad}}`;
    case 5:
      return `${pad}${prng.pick(KEYWORDS)} ${id()} = ${id()} ${prng.pick(OPS)} ${lit()};`;
    case 6:
      return `${pad}// ${id()} ${id()} ${id()} ${prng.pick(KEYWORDS)} ${id()}`;
    case 7:
      return `${pad}return ${id()}(${lit()}, { ${id()}: ${lit()}, ${id()}: ${id()} });`;
    case 8:
      return `${pad}this.${id()} = ${lit()};`;
    case 9:
      return `${pad}for (let i = 0; i < ${id()}.length; i++) ${id()}[i] = ${lit()};`;
    case 10:
      return `${pad}module.exports.${id()} = ${id()};`;
    default:
      return `${pad}${prng.pick(KEYWORDS)} ${id()} ${prng.pick(OPS)} ${id()}.${id()}(${lit()});`;
  }
}

/** Exactly `size` bytes of JS-like text. */
export function jsContent(prng: Prng, vocab: Vocabulary, size: number, noise = 0.1): Buffer {
  const lines: string[] = ["'use strict';"];
  let length = lines[0]?.length ?? 0;
  let names = localNames(prng, vocab);
  let nextNames = prng.int(8, 32) * 1024; // a bundle is many modules: new names every few KB
  while (length < size) {
    if (length > nextNames) {
      names = localNames(prng, vocab);
      nextNames = length + prng.int(8, 32) * 1024;
    }
    const line = jsLine(prng, vocab, names, prng.int(0, 3), noise);
    lines.push(line);
    length += line.length + 1;
  }
  return Buffer.from(lines.join('\n'), 'utf8').subarray(0, size);
}

/** Exactly `size` bytes of package.json-like JSON (names, versions, integrity hashes). */
export function jsonContent(prng: Prng, vocab: Vocabulary, name: string, size: number): Buffer {
  const doc: Record<string, unknown> = {
    name,
    version: `${prng.int(0, 9)}.${prng.int(0, 30)}.${prng.int(0, 20)}`,
    description: `${prng.pick(vocab.identifiers)} ${prng.pick(vocab.identifiers)} for ${prng.pick(vocab.identifiers)}`,
    main: 'index.js',
    license: 'MIT',
  };
  const deps: Record<string, string> = {};
  let text = JSON.stringify(doc, null, 2);
  while (text.length < size) {
    deps[`${prng.pick(vocab.identifiers)}-${prng.pick(vocab.identifiers)}`] =
      prng.next() < 0.8 ? `^${prng.int(0, 9)}.${prng.int(0, 30)}.${prng.int(0, 20)}` : `sha512-${randomString(prng, BASE64, 86)}==`;
    doc['dependencies'] = deps;
    text = JSON.stringify(doc, null, 2);
  }
  return Buffer.from(text, 'utf8').subarray(0, size);
}

/**
 * A native-addon-like binary: runs of code-like text (symbol tables, strings) and
 * of random bytes (machine code compresses poorly), about half and half.
 */
export function binaryContent(prng: Prng, vocab: Vocabulary, size: number): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const chunk = prng.int(4 * 1024, 64 * 1024);
    const part = prng.next() < 0.6 ? jsContent(prng, vocab, chunk, 0.1) : prng.bytes(chunk);
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}
