import { DeployError } from '../../agent/errors';
import { canonicalJson } from '../../agent/store/canonical-manifest';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from '../../agent/fs/hashing-stream';
import { artifactKey, type DesiredState, type Manifest } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';

/**
 * Store writes whose answer may have been lost. An S3 PUT can land while its
 * answer never arrives: the SDK retries it, and the retry meets our own write
 * (412: STORE_VERSION_EXISTS for a manifest, STORE_CONFLICT for desired.json),
 * or every try's answer is lost (STORE_UNAVAILABLE). Before such a failure is
 * reported, the document is read back: when the store holds exactly what we
 * wrote, the write was ours and it succeeded.
 */

/** Writes the manifest exclusively; a failure that left our very manifest in the store is a success. */
export async function putManifestOnce(store: ReleaseStore, manifest: Manifest): Promise<void> {
  try {
    await store.putManifest(manifest);
  } catch (error) {
    if (!hasCode(error, 'STORE_VERSION_EXISTS', 'STORE_UNAVAILABLE')) throw error;
    const stored = await store.readManifest(manifest.version).catch(() => undefined);
    if (stored !== undefined && sameManifest(stored, manifest)) return;
    throw error;
  }
}

/** Writes desired.json (conditionally with `ifMatch`); a failure that left our very document there is a success. */
export async function writeDesiredOnce(store: ReleaseStore, desired: DesiredState, options: { readonly ifMatch?: string } = {}): Promise<void> {
  try {
    await store.writeDesired(desired, options);
  } catch (error) {
    if (!hasCode(error, 'STORE_CONFLICT', 'STORE_UNAVAILABLE')) throw error;
    const now = await store.readDesired().catch(() => undefined);
    if (now !== undefined && sameDesired(now.value, desired)) return;
    throw error;
  }
}

/**
 * Whether the artifact of `version` in the store is the one we uploaded (its
 * sha256 and size), with no manifest yet: the exclusive upload whose answer
 * was lost. Reads the artifact back, which only this rare path does.
 */
export async function isOwnArtifact(store: ReleaseStore, version: string, uploaded: { readonly sha256: string; readonly size: number }): Promise<boolean> {
  try {
    if ((await store.readManifest(version)) !== undefined) return false;
    const pseudo: Manifest = { version, artifact: artifactKey(version), ...uploaded, createdAt: new Date(0).toISOString(), createdBy: 'deployctl' };
    const hashing = new HashingStream();
    await pipeline(await store.openArtifact(pseudo), hashing, new Writable({ write: (_chunk, _encoding, done) => done() }));
    return hashing.sha256 === uploaded.sha256 && hashing.bytes === uploaded.size;
  } catch {
    return false;
  }
}

/**
 * The same manifest: every field equal (canonical JSON, signature included),
 * the push's own `createdAt` and `createdBy` among them, so another push of
 * the same bytes is not taken for ours.
 */
export function sameManifest(a: Manifest, b: Manifest): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The same desired.json: every field equal, this write's own `updatedAt` among them. */
export function sameDesired(a: DesiredState, b: DesiredState): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function hasCode(error: unknown, ...codes: readonly string[]): boolean {
  return error instanceof DeployError && codes.includes(error.code);
}
