import type { PackProgress } from '../pack/pack';

/**
 * What a push reports while it packs and uploads. Packing and upload run at
 * once (the archive streams into the store), so both can be live together.
 */
export interface PushProgress {
  /** Packing starts; `total` is what the tree holds. */
  packing(total: PackProgress): void;
  /** One more file went into the archive. */
  packed(progress: PackProgress): void;
  /** Upload starts; `totalBytes` is known for --file, not for a packed dir (compression). */
  uploading(label: string, totalBytes: number | undefined): void;
  /** Bytes sent so far. */
  uploaded(bytes: number): void;
  /** Ends the report: `bytes` on success, undefined on failure. Idempotent. */
  finish(bytes: number | undefined): void;
}
