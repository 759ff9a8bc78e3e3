import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { DeployError } from '../errors';
import {
  artifactKey,
  desiredSchema,
  instanceKey,
  instanceStatusSchema,
  manifestKey,
  manifestSchema,
  parseDocument,
  type DesiredState,
  type InstanceStatus,
  type Manifest,
} from './documents';
import type { ReleaseStore, Versioned } from './release-store';
import { createS3Client } from './s3-client';
import { isConditionalConflict, isMissingKey, isNotModified, isPreconditionFailed, storeUnavailable } from './s3-errors';
import type { S3Options } from './s3-options';
import { S3ConditionalDocs } from './s3-conditional-docs';
import { S3Slots } from './s3-slots';
import { assertValidVersion } from './version-name';

/**
 * Artifacts are uploaded in parts of this many bytes (8 MiB; S3's minimum is
 * 5 MiB). With {@link ARTIFACT_QUEUE_SIZE} parts in flight, an upload holds at
 * most about 32 MiB of the artifact in memory, whatever its size.
 */
export const ARTIFACT_PART_SIZE = 8 * 1024 * 1024;
/** Parts of one artifact uploaded at once. */
export const ARTIFACT_QUEUE_SIZE = 4;
/** Documents read at once when listing manifests or instance reports. */
const LIST_READ_CONCURRENCY = 8;

/**
 * The store in an S3 bucket under a prefix (DESIGN §1). Exclusive writes are
 * S3 conditional writes: `If-None-Match: *` on PutObject and on
 * CompleteMultipartUpload, so two pushes of one version cannot both win even
 * when both passed the HeadObject check. desired.json is polled with
 * `If-None-Match: <etag>`, so an unchanged pointer costs a 304 and no parsing.
 */
export class S3Store implements ReleaseStore {
  private readonly client: S3Client;
  /** The last desired.json read, answered again on a 304. */
  private lastDesired: Versioned<DesiredState> | undefined;
  /** Service-out slots under locks/ (s3-slots.ts). */
  readonly slots: S3Slots;
  /** Compare-and-swap documents (s3-conditional-docs.ts). */
  readonly docs: S3ConditionalDocs;

  constructor(
    readonly bucket: string,
    /** Keys start with `<prefix>/`; '' for the root of the bucket. No leading or trailing '/'. */
    readonly prefix: string,
    options: S3Options = {},
    readonly url: string = `s3://${bucket}/${prefix}`,
  ) {
    this.client = createS3Client(options);
    const target = { client: this.client, bucket, url, fullKey: (storeKey: string) => this.key(storeKey) };
    this.slots = new S3Slots(target);
    this.docs = new S3ConditionalDocs(target);
  }

  async readDesired(): Promise<Versioned<DesiredState> | undefined> {
    const key = this.key('desired.json');
    const cached = this.lastDesired;
    let text: string;
    let etag: string | undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: cached?.etag }));
      text = (await out.Body?.transformToString('utf-8')) ?? '';
      etag = out.ETag;
    } catch (error) {
      if (cached !== undefined && isNotModified(error)) return cached;
      if (isMissingKey(error)) {
        this.lastDesired = undefined;
        return undefined;
      }
      throw this.unavailable('read', key, error);
    }
    const value = parseDocument(desiredSchema, text, `desired.json in ${this.url}`);
    if (etag === undefined) throw this.unavailable('read', key, new Error('S3 answered without an ETag'));
    this.lastDesired = { value, etag };
    return this.lastDesired;
  }

  async writeDesired(desired: DesiredState, options: { readonly ifMatch?: string } = {}): Promise<void> {
    const key = this.key('desired.json');
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: `${JSON.stringify(desired, null, 2)}\n`,
          ContentType: 'application/json',
          IfMatch: options.ifMatch,
        }),
      );
    } catch (error) {
      // S3 answers a stale If-Match with 412, a deleted desired.json with 404, a race with 409.
      const raced = isPreconditionFailed(error) || isConditionalConflict(error) || isMissingKey(error);
      if (options.ifMatch !== undefined && raced) {
        throw new DeployError(
          'STORE_CONFLICT',
          `desired.json in ${this.url} changed since it was read (another push or rollback?); run the command again`,
          { cause: error },
        );
      }
      throw this.unavailable('write', key, error);
    }
  }

  async readManifest(version: string): Promise<Manifest | undefined> {
    assertValidVersion(version);
    const text = await this.readText(this.key(manifestKey(version)));
    return text === undefined ? undefined : parseDocument(manifestSchema, text, `manifest ${manifestKey(version)} in ${this.url}`);
  }

  async listManifests(): Promise<Manifest[]> {
    const keys = await this.listJsonKeys('releases/');
    const manifests = await this.readAllParsed(keys, (text, name) => parseDocument(manifestSchema, text, name));
    return manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version));
  }

  async openArtifact(manifest: Manifest): Promise<Readable> {
    const key = this.key(manifest.artifact);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (out.Body instanceof Readable) return out.Body;
      throw new Error(`unexpected body type ${Object.prototype.toString.call(out.Body)}`);
    } catch (error) {
      if (isMissingKey(error)) {
        throw new DeployError('STORE_NOT_FOUND', `artifact ${manifest.artifact} of ${manifest.version} is missing from ${this.url}`, {
          cause: error,
        });
      }
      throw this.unavailable('read', key, error);
    }
  }

  async putArtifact(version: string, body: Readable): Promise<void> {
    assertValidVersion(version);
    const key = this.key(artifactKey(version));
    await this.refuseExisting(key, version);
    let bodyError: unknown;
    const onBodyError = (error: unknown): void => {
      bodyError = error;
    };
    body.once('error', onBodyError);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/gzip', IfNoneMatch: '*' },
      partSize: ARTIFACT_PART_SIZE,
      queueSize: ARTIFACT_QUEUE_SIZE,
      leavePartsOnError: false, // a failed multipart upload is aborted: no half artifact, no billed parts
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy(); // as pipeline() would: the producer learns the upload is over
      if (bodyError !== undefined) throw bodyError; // the caller's stream failed, not the store
      if (isPreconditionFailed(error) || isConditionalConflict(error)) throw versionExists(version, this.url, error);
      throw this.unavailable('write', key, error);
    } finally {
      body.off('error', onBodyError);
    }
  }

  async putManifest(manifest: Manifest): Promise<void> {
    assertValidVersion(manifest.version);
    const checked = manifestSchema.safeParse(manifest);
    if (!checked.success) {
      throw new DeployError(
        'STORE_DOCUMENT_INVALID',
        `refusing to write an invalid manifest for ${manifest.version}: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}`,
      );
    }
    const key = this.key(manifestKey(manifest.version));
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: `${JSON.stringify(manifest, null, 2)}\n`,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error) || isConditionalConflict(error)) throw versionExists(manifest.version, this.url, error);
      throw this.unavailable('write', key, error);
    }
  }

  async deleteRelease(version: string, options: { readonly keepArtifact?: boolean } = {}): Promise<void> {
    assertValidVersion(version);
    for (const key of [this.key(manifestKey(version)), ...(options.keepArtifact ? [] : [this.key(artifactKey(version))])]) {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (error) {
        if (!isMissingKey(error)) throw this.unavailable('delete', key, error);
      }
    }
  }

  async writeInstanceStatus(status: InstanceStatus): Promise<void> {
    const key = this.key(instanceKey(status.instanceId));
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: `${JSON.stringify(status, null, 2)}\n`, ContentType: 'application/json' }),
      );
    } catch (error) {
      throw this.unavailable('write', key, error);
    }
  }

  async listInstanceStatuses(): Promise<InstanceStatus[]> {
    const keys = (await this.listJsonKeys('instances/')).sort();
    return this.readAllParsed(keys, (text, name) => parseDocument(instanceStatusSchema, text, name));
  }

  /** Keys of `*.json` documents directly under `folder` (relative to the prefix), skipping dot-files. */
  private async listJsonKeys(folder: string): Promise<string[]> {
    const listPrefix = this.key(folder);
    const keys: string[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: listPrefix })) {
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(listPrefix.length);
          if (name !== undefined && name.endsWith('.json') && !name.startsWith('.') && !name.includes('/')) keys.push(`${listPrefix}${name}`);
        }
      }
    } catch (error) {
      throw this.unavailable('list', listPrefix, error);
    }
    return keys;
  }

  /** Reads and parses each key, a few at a time, in order; documents that vanished or do not parse are skipped. */
  private async readAllParsed<T>(keys: readonly string[], parse: (text: string, name: string) => T): Promise<T[]> {
    const parsed: T[] = [];
    for (let i = 0; i < keys.length; i += LIST_READ_CONCURRENCY) {
      const batch = keys.slice(i, i + LIST_READ_CONCURRENCY);
      const texts = await Promise.all(batch.map((key) => this.readText(key)));
      texts.forEach((text, j) => {
        if (text === undefined) return;
        try {
          parsed.push(parse(text, this.relative(batch[j] ?? '')));
        } catch {
          // A foreign or broken document is skipped: listings show what they can read.
        }
      });
    }
    return parsed;
  }

  private async refuseExisting(key: string, version: string): Promise<void> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissingKey(error)) return;
      throw this.unavailable('read', key, error);
    }
    throw versionExists(version, this.url);
  }

  private async readText(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw this.unavailable('read', key, error);
    }
  }

  /** The full S3 key of a store key. */
  private key(storeKey: string): string {
    return this.prefix === '' ? storeKey : `${this.prefix}/${storeKey}`;
  }

  private relative(fullKey: string): string {
    return this.prefix === '' ? fullKey : fullKey.slice(this.prefix.length + 1);
  }

  private unavailable(op: 'read' | 'write' | 'list' | 'delete', key: string, cause: unknown): DeployError {
    return storeUnavailable(op, { url: this.url, bucket: this.bucket, key }, cause);
  }
}

function versionExists(version: string, url: string, cause?: unknown): DeployError {
  return new DeployError(
    'STORE_VERSION_EXISTS',
    `version ${version} already exists in ${url}; versions are immutable, push a new version name`,
    { cause },
  );
}
