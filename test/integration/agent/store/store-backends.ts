import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStore } from '../../../../agent/store/local-store';
import type { ReleaseStore } from '../../../../agent/store/release-store';
import { S3Store } from '../../../../agent/store/s3-store';
import { startS3Server } from '../../../support/s3-server';

/**
 * The backends that store-protocol.test.ts runs the ReleaseStore protocol
 * against. A backend is one row of `backends`: a factory giving the store plus
 * what only that backend can do (write a raw document, list every key, clean up).
 */
export interface Backend {
  readonly store: ReleaseStore;
  /** Writes `text` at `key` (relative to the store's prefix) without going through the store. */
  writeRaw(key: string, text: string): Promise<void>;
  /** Every key under the store's prefix, sorted, with '/' separators (temp files included). */
  listKeys(): Promise<string[]>;
  cleanup(): Promise<void>;
}

function localBackend(): Backend {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployctl-store-'));
  const root = path.join(dir, 'store'); // not created yet: an empty store may have no directory at all
  const walk = (base: string, prefix: string): string[] => {
    let entries;
    try {
      entries = readdirSync(base, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries.flatMap((e) => (e.isDirectory() ? walk(path.join(base, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
  };
  return {
    store: new LocalStore(root),
    async writeRaw(key, text) {
      const file = path.join(root, ...key.split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    },
    listKeys: async () => walk(root, '').sort(),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh S3-protocol server per test; the store lives under a two-level prefix, so keys outside it would show. */
async function s3Backend(): Promise<Backend> {
  const server = await startS3Server();
  const bucket = 'deployctl-releases';
  const prefix = 'fleets/web';
  await server.bucket(bucket);
  const raw = new S3Client({ ...server.options, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    store: new S3Store(bucket, prefix, server.options, `s3://${bucket}/${prefix}`),
    async writeRaw(key, text) {
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: text }));
    },
    async listKeys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await raw.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
        token = page.NextContinuationToken;
      } while (token !== undefined);
      // Every key must be under the prefix: one outside it fails the comparison as it is.
      return keys.map((key) => (key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : `(outside the prefix) ${key}`)).sort();
    },
    async cleanup() {
      raw.destroy();
      await server.stop();
    },
  };
}

export const backends: Array<[string, () => Promise<Backend>]> = [
  ['local', async () => localBackend()],
  ['s3', s3Backend],
];
