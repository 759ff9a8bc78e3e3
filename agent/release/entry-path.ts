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

const DRIVE = /^[A-Za-z]:/;

export function parsePortablePath(raw: string): PortablePath {
  let rest = raw.replace(/\\/g, '/');
  let rooted = false;
  // Strip every root form, repeatedly: `C:/`, `//`, `C://C:/` … (CVE-2021-32804, CVE-2021-37713).
  for (;;) {
    if (DRIVE.test(rest)) {
      rest = rest.slice(2);
      rooted = true;
    } else if (rest.startsWith('/')) {
      rest = rest.replace(/^\/+/, '');
      rooted = true;
    } else {
      break;
    }
  }
  const segments = rest.split('/').filter((segment) => segment !== '' && segment !== '.');
  return { rooted, segments };
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
