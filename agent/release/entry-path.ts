import type { Refusal } from './unpack-error';

/**
 * A tar path read the way any platform could read it: `\` is a separator, a Windows drive letter
 * (`C:`, drive-relative or not) and any run of leading separators (`////x`, `\\server\x`) make it
 * rooted. `''` and `.` segments are dropped; `..` is kept for the caller to judge.
 */
export interface PortablePath {
  readonly rooted: boolean;
  readonly segments: readonly string[];
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DOT = 0x2e;

/**
 * One scan of `raw`, no regex and no intermediate strings: the same result as replacing every `\`
 * with `/`, stripping root forms (`^[A-Za-z]:`, `^/+`) until none is left, splitting on `/` and
 * dropping `''` and `.` (entry-path.test.ts checks it against that reading).
 */
export function parsePortablePath(raw: string): PortablePath {
  const length = raw.length;
  let start = 0;
  let rooted = false;
  // Strip every root form, repeatedly: `C:/`, `//`, `C://C:/` … (CVE-2021-32804, CVE-2021-37713).
  for (;;) {
    if (start + 1 < length && isAsciiLetter(raw.charCodeAt(start)) && raw.charCodeAt(start + 1) === COLON) {
      start += 2;
      rooted = true;
    } else if (start < length && isSeparator(raw.charCodeAt(start))) {
      while (start < length && isSeparator(raw.charCodeAt(start))) start += 1;
      rooted = true;
    } else {
      break;
    }
  }
  const segments: string[] = [];
  let from = start;
  for (let at = start; at <= length; at++) {
    if (at < length && !isSeparator(raw.charCodeAt(at))) continue;
    // `''` (from === at) and `.` are dropped.
    if (at - from > 1 || (at - from === 1 && raw.charCodeAt(from) !== DOT)) segments.push(raw.slice(from, at));
    from = at + 1;
  }
  return { rooted, segments };
}

function isSeparator(code: number): boolean {
  return code === SLASH || code === BACKSLASH;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** A path safe to create inside the release dir, or why not. */
export type EntryPathVerdict =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly refusal: Refusal };

/**
 * Judges an entry path. `..` anywhere wins over a root (`/../x`, `C:..\x` are parent paths), then
 * roots, then depth. An empty result (`./`) is the release dir itself.
 */
export function checkEntryPath(raw: string, maxDepth: number): EntryPathVerdict {
  if (raw.includes('\0')) {
    return refuse('ARTIFACT_CORRUPT', 'an entry path contains a NUL byte');
  }
  const { rooted, segments } = parsePortablePath(raw);
  if (segments.includes('..')) {
    return refuse('UNPACK_PARENT_PATH', "an entry path climbs out of the release dir with '..'");
  }
  if (rooted) {
    return refuse('UNPACK_ABSOLUTE_PATH', 'an entry path is absolute (it starts with a root or a drive letter)');
  }
  if (segments.length > maxDepth) {
    return refuse('UNPACK_TOO_DEEP', `an entry path is ${segments.length} segments deep, more than limits.maxDepth (${maxDepth})`);
  }
  return { ok: true, segments };
}

function refuse(code: Refusal['code'], problem: string): EntryPathVerdict {
  return { ok: false, refusal: { code, problem } };
}
