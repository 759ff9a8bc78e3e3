import type { Manifest } from './documents';

/**
 * The bytes a release signature covers (DESIGN §1): the manifest without its
 * `signature`, as JSON with keys sorted and no whitespace. That is every
 * field the agent acts on (version, artifact, sha256, size, createdAt,
 * createdBy, entry) and `keyId`, so a changed hash, size or entry breaks the
 * signature, and an artifact swapped under a signed manifest fails the hash
 * check. Shared by `deployctl push --sign-key` and the agent; a pure function.
 */
export function canonicalManifest(manifest: Manifest): string {
  const signed = Object.fromEntries(Object.entries(manifest).filter(([key]) => key !== 'signature'));
  return canonicalJson(signed);
}

/** JSON with object keys sorted (by code unit), no whitespace, undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot canonicalise the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  throw new Error(`cannot canonicalise a ${typeof value}`);
}
