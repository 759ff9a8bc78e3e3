import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeployError, describeError } from '../../agent/errors';
import { appendHistory } from '../../agent/rollout/history';
import { artifactKey, manifestKey, type Manifest, type RolloutPolicy, type Strategy } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';
import type { ArtifactSource } from '../pack/artifact-source';
import type { ReleaseConfig } from '../args/release-config-flags';
import { desiredNow, isStoreConflict } from './desired-conflict';
import { isOwnArtifact, putManifestOnce, writeDesiredOnce } from './own-write';
import { HashingStream } from '../../agent/fs/hashing-stream';
import type { PushProgress } from '../output/push-progress';
import { lastGoodAfter } from './last-good';

export interface PublishRequest {
  readonly version: string;
  readonly strategy: Strategy;
  readonly createdBy: string;
  /** What to upload, or (`push --from`) an existing release whose artifact the new version reuses: no upload, same sha256. */
  readonly artifact: ArtifactSource | { readonly reuse: Manifest };
  /** The release's own env and secret references (manifest `env`, `secrets`); left out when empty. */
  readonly config?: ReleaseConfig;
  /** Signs the manifest before it is written (push --sign-key); unsigned without it. */
  readonly sign?: (manifest: Manifest) => Manifest;
  /** The rollout policy (push --canary/--batch/…); without it every instance takes the version at once. */
  readonly rollout?: RolloutPolicy;
  readonly now?: () => Date;
}

export interface PublishResult {
  readonly manifest: Manifest;
  /** The version desired.json pointed at before, if any. */
  readonly previous: string | undefined;
  /** The last version that went live on the fleet (desired.json's lastGood). */
  readonly lastGood: string | undefined;
}

/** Refuses a version the store already holds (versions are immutable, DESIGN §1). */
export async function assertVersionFree(store: ReleaseStore, version: string): Promise<void> {
  const existing = await store.readManifest(version);
  if (existing === undefined) return;
  throw new DeployError(
    'STORE_VERSION_EXISTS',
    `version ${version} already exists in ${store.url} (pushed ${existing.createdAt} by ${existing.createdBy}); versions are immutable, push a new version name`,
  );
}

/**
 * The write half of a push: stream the artifact into the store while hashing
 * it, then the manifest (only once the artifact is complete), then flip
 * desired.json, remembering the version it pointed at, on condition that
 * nobody changed it since it was read (STORE_CONFLICT otherwise: the release
 * stays stored, desired.json is left as the other writer made it). The store's
 * exclusive writes make a second push of the same version fail with
 * STORE_VERSION_EXISTS. A manifest or desired.json write whose answer was
 * lost but which landed is ours, not a conflict (own-write.ts).
 */
export async function publishRelease(store: ReleaseStore, request: PublishRequest, progress: PushProgress): Promise<PublishResult> {
  const { version, artifact } = request;
  const reused = 'reuse' in artifact ? artifact.reuse : undefined;
  let stored: { artifact: string; sha256: string; size: number; entry: string | undefined };
  if (reused) {
    stored = { artifact: reused.artifact, sha256: reused.sha256, size: reused.size, entry: reused.entry };
  } else {
    const source = artifact as ArtifactSource;
    if (source.packTotal !== undefined) progress.packing(source.packTotal);
    progress.uploading(source.label, source.uploadBytes);
    const { sha256, size } = await uploadArtifact(store, version, source.open(progress), progress);
    progress.finish(size);
    stored = { artifact: artifactKey(version), sha256, size, entry: source.entry };
  }
  const env = request.config?.env ?? {};
  const secrets = request.config?.secrets ?? {};
  const unsigned: Manifest = {
    version,
    artifact: stored.artifact,
    sha256: stored.sha256,
    size: stored.size,
    createdAt: (request.now?.() ?? new Date()).toISOString(),
    createdBy: request.createdBy,
    ...(stored.entry === undefined ? {} : { entry: stored.entry }),
    ...(Object.keys(env).length === 0 ? {} : { env: { ...env } }),
    ...(Object.keys(secrets).length === 0 ? {} : { secrets: { ...secrets } }),
  };
  const manifest = request.sign ? request.sign(unsigned) : unsigned;
  try {
    await putManifestOnce(store, manifest);
  } catch (error) {
    // A reused artifact belongs to another release: never removed here.
    if (!reused && !(error instanceof DeployError && error.code === 'STORE_VERSION_EXISTS')) {
      // The artifact is ours (its write was exclusive); without a manifest it would block the version name forever.
      await store.deleteRelease(version).catch(() => undefined);
    }
    throw error;
  }

  try {
    const current = await store.readDesired();
    const previous = current?.value.version;
    const lastGood = await lastGoodAfter(store, current?.value);
    const at = (request.now?.() ?? new Date()).toISOString();
    await writeDesiredOnce(
      store,
      {
        version,
        strategy: request.strategy,
        updatedAt: at,
        ...(previous === undefined ? {} : { previous }),
        ...(request.rollout ? { rollout: request.rollout } : {}),
        ...(lastGood === undefined ? {} : { lastGood }),
      },
      current === undefined ? {} : { ifMatch: current.etag },
    );
    await appendHistory(store.docs, { kind: 'push', version, from: previous ?? null, by: request.createdBy, at, ...(request.rollout ? { rollout: request.rollout } : {}) }).catch(
      () => undefined, // the push stands without its history line
    );
    return { manifest, previous, lastGood };
  } catch (error) {
    if (isStoreConflict(error)) {
      throw new DeployError(
        'STORE_CONFLICT',
        `${version} is stored, but desired.json changed during the push (${await desiredNow(store)}: another push or rollback), so it was not flipped; check 'deployctl status', then retry with 'deployctl rollback ${version}'`,
        { cause: error },
      );
    }
    throw new DeployError(
      'DESIRED_NOT_UPDATED',
      `${version} is stored (${manifestKey(version)}) but desired.json was not updated: ${describeError(error)}`,
      { cause: error },
    );
  }
}

async function uploadArtifact(
  store: ReleaseStore,
  version: string,
  source: Readable,
  progress: PushProgress,
): Promise<{ sha256: string; size: number }> {
  const hashing = new HashingStream({ onProgress: (bytes) => progress.uploaded(bytes) });
  // A failure of the source destroys `hashing` with its error, which fails putArtifact with it.
  const feeding = pipeline(source, hashing).catch(() => undefined);
  try {
    await store.putArtifact(version, hashing);
  } catch (error) {
    // Every byte went out, yet the upload failed: it may have landed with its answer lost (own-write.ts).
    const sent = hashing.sha256 === undefined ? undefined : { sha256: hashing.sha256, size: hashing.bytes };
    const lostAnswer = error instanceof DeployError && ['STORE_VERSION_EXISTS', 'STORE_UNAVAILABLE'].includes(error.code);
    if (sent !== undefined && lostAnswer && (await isOwnArtifact(store, version, sent))) return sent;
    source.destroy();
    hashing.destroy();
    progress.finish(undefined);
    throw error;
  }
  await feeding;
  const sha256 = hashing.sha256;
  if (sha256 === undefined) throw new DeployError('PUSH_INCOMPLETE', `the artifact of ${version} was not read to its end; push it again`);
  return { sha256, size: hashing.bytes };
}
