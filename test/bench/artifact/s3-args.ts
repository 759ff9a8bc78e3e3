import type { S3Options } from '../../../agent/store/s3-options';
import { asRecord, stringField } from '../reload/ipc-protocol';

/** The local S3 server, as every child reaches it: path-style, us-east-1. */
export function s3Options(endpoint: string): S3Options {
  return { endpoint, forcePathStyle: true, region: 'us-east-1' };
}

/** The string fields of an IPC request, or an error naming the missing one. */
export function stringArgs<K extends string>(args: unknown, what: string, keys: readonly K[]): Record<K, string> {
  const record = asRecord(args, what);
  const out = {} as Record<K, string>;
  for (const key of keys) out[key] = stringField(record, key, what);
  return out;
}
