/**
 * Small JSON documents changed only by compare-and-swap (DESIGN §1, §7): the
 * primitive under the rollout records (`rollouts/<id>/…`), the went-live
 * records (`live/<version>.json`), the history and the revert of desired.json.
 *
 * - S3: create is PutObject `If-None-Match: *`, replace is PutObject
 *   `If-Match: <etag>`, remove is DeleteObject `If-Match`.
 * - A local directory: create is temp file + link(2) (fails when the name
 *   exists); replace and remove first take an exclusive claim file on the tag
 *   they read, re-read, and act only when the tag is unchanged.
 *
 * Of any number of writers racing with one precondition exactly one succeeds.
 * Callers put a random nonce into every document they write, so that two
 * writes never have the same bytes (and tag), and a writer whose answer was
 * lost and retried recognises its own write.
 */
export interface ConditionalDoc {
  /** The tag of these bytes: the S3 ETag, or a hash of the bytes locally. */
  readonly etag: string;
  readonly text: string;
}

export interface ConditionalDocs {
  /** The document at `key` (relative to the store's prefix), undefined when there is none. */
  read(key: string): Promise<ConditionalDoc | undefined>;
  /** Creates `key` unless it exists; the new tag, or undefined when it existed. */
  create(key: string, text: string): Promise<string | undefined>;
  /** Replaces `key` only while its tag is `etag`; the new tag, or undefined when it changed or went away. */
  replace(key: string, etag: string, text: string): Promise<string | undefined>;
  /** Removes `key` only while its tag is `etag`; false when it changed or went away. */
  remove(key: string, etag: string): Promise<boolean>;
  /** Names (not keys) of the `.json` documents directly under `folder` (e.g. `rollouts/r1/`), sorted. */
  list(folder: string): Promise<string[]>;
}
