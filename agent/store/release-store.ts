import type { Readable } from 'node:stream';
import type { DesiredState, InstanceStatus, Manifest } from './documents';
import type { ConditionalDocs } from './conditional-docs';
import type { SlotStore } from './slot-store';

/** A document read from the store, with the tag that changes whenever it does. */
export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

/**
 * The release store (DESIGN §1): one interface, two backends (a local
 * directory, S3). Keys are relative to the store's prefix. Writes of
 * artifacts and manifests are exclusive: a version is never overwritten.
 * Service-out slots (locks/, DESIGN §4) are its `slots` member.
 */
export interface ReleaseStore {
  /** Where the store is, as the user wrote it (for messages). */
  readonly url: string;
  /** Service-out slots under locks/ (slot-store.ts). */
  readonly slots: SlotStore;
  /** Compare-and-swap documents: rollouts/, live/, history/ (conditional-docs.ts, DESIGN §7). */
  readonly docs: ConditionalDocs;

  /** desired.json, or undefined when nothing was pushed yet. Throws STORE_DOCUMENT_INVALID on a bad document. */
  readDesired(): Promise<Versioned<DesiredState> | undefined>;
  /**
   * Replaces desired.json atomically. With `ifMatch` (the etag read before), it
   * fails with STORE_CONFLICT when someone else changed it in between.
   */
  writeDesired(desired: DesiredState, options?: { readonly ifMatch?: string }): Promise<void>;

  /** releases/<version>.json, or undefined when there is none. */
  readManifest(version: string): Promise<Manifest | undefined>;
  /** Every manifest in the store, oldest first (by createdAt). Unreadable ones are skipped. */
  listManifests(): Promise<Manifest[]>;

  /** The artifact's bytes as a stream. Throws STORE_NOT_FOUND when it is missing. */
  openArtifact(manifest: Manifest): Promise<Readable>;
  /** Writes releases/<version>.tar.gz from `body`, exclusively: STORE_VERSION_EXISTS if it exists. */
  putArtifact(version: string, body: Readable): Promise<void>;
  /** Writes releases/<version>.json exclusively, after the artifact is complete. */
  putManifest(manifest: Manifest): Promise<void>;
  /**
   * Removes a release's manifest, then its artifact (prune); with `keepArtifact`
   * the artifact stays (another manifest, pushed with --from, still points at it).
   */
  deleteRelease(version: string, options?: { readonly keepArtifact?: boolean }): Promise<void>;

  /** Writes instances/<id>.json (replacing the previous report). */
  writeInstanceStatus(status: InstanceStatus): Promise<void>;
  /** Every instance report; unreadable ones are skipped. */
  listInstanceStatuses(): Promise<InstanceStatus[]>;
}
