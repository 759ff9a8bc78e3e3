/**
 * Child process: the plain-upload baseline, and fetching an artifact to disk.
 *
 *   upload   {endpoint, bucket, key, file} → {bytes, peakRssMb}
 *            the file, with @aws-sdk/lib-storage Upload in the store's part size and
 *            queue size (8 MiB parts, 4 at once) and the store's S3 client settings
 *   download {endpoint, bucket, key, file} → {bytes}   (untimed setup for tar-xzf)
 *
 * peakRssMb: this process's RSS, sampled every 20 ms since it started.
 * Closing the channel exits.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createS3Client } from '../../../agent/store/s3-client';
import { ARTIFACT_PART_SIZE, ARTIFACT_QUEUE_SIZE } from '../../../agent/store/s3-store';
import { serveIpc } from '../reload/ipc-serve';
import { OwnPeakRss } from './rss-sampler';
import { s3Options, stringArgs } from './s3-args';

const rss = new OwnPeakRss();
const KEYS = ['endpoint', 'bucket', 'key', 'file'] as const;

async function upload(args: unknown): Promise<unknown> {
  const { endpoint, bucket, key, file } = stringArgs(args, 'upload', KEYS);
  const client = createS3Client(s3Options(endpoint));
  try {
    const body = createReadStream(file);
    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/gzip' },
      partSize: ARTIFACT_PART_SIZE,
      queueSize: ARTIFACT_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
  } finally {
    client.destroy();
  }
  return { bytes: statSync(file).size, peakRssMb: rss.peakMb() };
}

async function download(args: unknown): Promise<unknown> {
  const { endpoint, bucket, key, file } = stringArgs(args, 'download', KEYS);
  const client = createS3Client(s3Options(endpoint));
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!(out.Body instanceof Readable)) throw new Error(`GetObject ${key}: no stream body`);
    await pipeline(out.Body, createWriteStream(file));
  } finally {
    client.destroy();
  }
  return { bytes: statSync(file).size };
}

serveIpc({ upload, download }, () => process.exit(0));
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
