import { DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ConditionalDoc, ConditionalDocs } from './conditional-docs';
import { isConditionalConflict, isMissingKey, isPreconditionFailed, storeUnavailable } from './s3-errors';
import type { S3SlotsTarget } from './s3-slots';

type Condition = { readonly IfNoneMatch: '*' } | { readonly IfMatch: string };

/**
 * Conditional documents in an S3 store (conditional-docs.ts): PutObject with
 * `If-None-Match: *` or `If-Match`, DeleteObject with `If-Match`. 412, 409
 * (a concurrent conditional write) and 404 mean the condition did not hold.
 * A write retried by the SDK after a lost answer fails its own condition, so
 * a failed condition is followed by a read: the same bytes are our write.
 */
export class S3ConditionalDocs implements ConditionalDocs {
  constructor(private readonly target: S3SlotsTarget) {}

  async read(key: string): Promise<ConditionalDoc | undefined> {
    const fullKey = this.target.fullKey(key);
    try {
      const out = await this.target.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: fullKey }));
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      if (out.ETag === undefined) throw new Error('S3 answered a GetObject without an ETag');
      return { etag: out.ETag, text };
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw this.unavailable('read', fullKey, error);
    }
  }

  create(key: string, text: string): Promise<string | undefined> {
    return this.putIf(key, text, { IfNoneMatch: '*' });
  }

  replace(key: string, etag: string, text: string): Promise<string | undefined> {
    return this.putIf(key, text, { IfMatch: etag });
  }

  async remove(key: string, etag: string): Promise<boolean> {
    const fullKey = this.target.fullKey(key);
    try {
      await this.target.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: fullKey, IfMatch: etag }));
      return true;
    } catch (error) {
      if (isPreconditionFailed(error) || isConditionalConflict(error) || isMissingKey(error)) return false;
      throw this.unavailable('delete', fullKey, error);
    }
  }

  async list(folder: string): Promise<string[]> {
    const listPrefix = this.target.fullKey(folder);
    const names: string[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: this.target.client }, { Bucket: this.target.bucket, Prefix: listPrefix })) {
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(listPrefix.length);
          if (name !== undefined && name.endsWith('.json') && !name.startsWith('.') && !name.includes('/')) names.push(name);
        }
      }
    } catch (error) {
      throw this.unavailable('list', listPrefix, error);
    }
    return names.sort();
  }

  private async putIf(key: string, text: string, condition: Condition): Promise<string | undefined> {
    const fullKey = this.target.fullKey(key);
    try {
      const out = await this.target.client.send(
        new PutObjectCommand({ Bucket: this.target.bucket, Key: fullKey, Body: text, ContentType: 'application/json', ...condition }),
      );
      if (out.ETag === undefined) throw new Error('S3 answered a PutObject without an ETag');
      return out.ETag;
    } catch (error) {
      if (!(isPreconditionFailed(error) || isConditionalConflict(error) || isMissingKey(error))) throw this.unavailable('write', fullKey, error);
    }
    const current = await this.read(key);
    return current?.text === text ? current.etag : undefined;
  }

  private unavailable(op: 'read' | 'write' | 'list' | 'delete', key: string, cause: unknown) {
    return storeUnavailable(op, { url: this.target.url, bucket: this.target.bucket, key }, cause);
  }
}
