import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ConditionalDocs } from '../store/conditional-docs';

/**
 * The records of a rollout (DESIGN §7), all under `rollouts/<id>/` and all
 * written with conditional writes (conditional-docs.ts):
 *
 * - `canary-<K>.json`, K < canary: the canary tickets; kept after the deploy
 *   (state `live` with `liveAt`, or `failed`), so the canary stage is over
 *   once every one is live and baked;
 * - `batch-<K>.json`, K < batchSize: the batch tickets, given back when the
 *   holder's deploy ends: at most batchSize instances deploy at once;
 * - `failure-<K>.json`: the K-th instance that failed the version; the budget
 *   is spent once `failure-<maxFailures-1>.json` exists (one GET, no listing);
 * - `pause.json`: present while the rollout is paused.
 *
 * Tickets carry a lease: a dead agent's ticket may be taken over once it
 * expired. Outside `rollouts/`: `live/<version>.json` (the first instance
 * that got a version live creates it) and `history/<time>-<id>.json`.
 */
export const ticketSchema = z.object({
  holder: z.string().min(1),
  version: z.string().min(1),
  state: z.enum(['deploying', 'live', 'failed']),
  acquiredAt: z.string(),
  expiresAt: z.string(),
  liveAt: z.string().optional(),
  error: z.string().optional(),
  nonce: z.string(),
});
export type Ticket = z.infer<typeof ticketSchema>;

export const failureSchema = z.object({
  instanceId: z.string().min(1),
  version: z.string(),
  error: z.string(),
  at: z.string(),
  nonce: z.string(),
});
export type FailureRecord = z.infer<typeof failureSchema>;

export const liveRecordSchema = z.object({ version: z.string(), instanceId: z.string(), at: z.string(), nonce: z.string() });
export type LiveRecord = z.infer<typeof liveRecordSchema>;

export const pauseSchema = z.object({ by: z.string(), at: z.string(), nonce: z.string() });

export const rolloutFolder = (id: string): string => `rollouts/${id}/`;
export const canaryKey = (id: string, index: number): string => `${rolloutFolder(id)}canary-${index}.json`;
export const batchKey = (id: string, index: number): string => `${rolloutFolder(id)}batch-${index}.json`;
export const failureKey = (id: string, index: number): string => `${rolloutFolder(id)}failure-${index}.json`;
export const pauseKey = (id: string): string => `${rolloutFolder(id)}pause.json`;
export const liveKey = (version: string): string => `live/${version}.json`;
export const LIVE_FOLDER = 'live/';

/** A fresh random nonce: every write's bytes (and so its tag) differ. */
export function nonce(): string {
  return randomBytes(8).toString('hex');
}

export function serialize(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Parses a record, undefined when it is not one (a foreign or damaged file is not a record). */
export function parseRecord<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

export async function readRecord<T>(docs: ConditionalDocs, schema: z.ZodType<T>, key: string): Promise<{ etag: string; value: T | undefined } | undefined> {
  const doc = await docs.read(key);
  return doc === undefined ? undefined : { etag: doc.etag, value: parseRecord(schema, doc.text) };
}

/** The newest limit a failure index may reach: bounds the loop below on a store full of junk. */
const MAX_FAILURE_RECORDS = 10_000;

/**
 * Records that `instanceId` failed the rollout: creates the lowest free
 * `failure-<K>.json`. Idempotent per instance (an existing record of the same
 * instance is its index). Returns K: the budget is spent when K + 1 ≥ maxFailures.
 */
export async function recordFailure(docs: ConditionalDocs, rolloutId: string, failure: Omit<FailureRecord, 'nonce'>): Promise<number> {
  for (let index = 0; index < MAX_FAILURE_RECORDS; index++) {
    const key = failureKey(rolloutId, index);
    if ((await docs.create(key, serialize({ ...failure, nonce: nonce() }))) !== undefined) return index;
    const existing = await readRecord(docs, failureSchema, key);
    if (existing?.value?.instanceId === failure.instanceId) return index;
  }
  return MAX_FAILURE_RECORDS;
}

/** Whether `count` instances failed the rollout: `failure-<count-1>.json` exists. */
export async function failuresReached(docs: ConditionalDocs, rolloutId: string, count: number): Promise<boolean> {
  return (await docs.read(failureKey(rolloutId, count - 1))) !== undefined;
}

/** Every failure record of a rollout, in order (CLI: status, --wait, history). */
export async function listFailures(docs: ConditionalDocs, rolloutId: string): Promise<FailureRecord[]> {
  const names = (await docs.list(rolloutFolder(rolloutId))).filter((n) => /^failure-\d+\.json$/.test(n));
  names.sort((a, b) => indexOf(a) - indexOf(b));
  const records: FailureRecord[] = [];
  for (const name of names) {
    const record = await readRecord(docs, failureSchema, `${rolloutFolder(rolloutId)}${name}`);
    if (record?.value) records.push(record.value);
  }
  return records;
}

/** The first instance that got `version` live writes live/<version>.json; later ones find it there. */
export async function recordLive(docs: ConditionalDocs, version: string, instanceId: string, at: Date = new Date()): Promise<void> {
  await docs.create(liveKey(version), serialize({ version, instanceId, at: at.toISOString(), nonce: nonce() }));
}

/** Every version that went live somewhere on the fleet, with when it first did. */
export async function listLive(docs: ConditionalDocs): Promise<LiveRecord[]> {
  const records: LiveRecord[] = [];
  for (const name of await docs.list(LIVE_FOLDER)) {
    const record = await readRecord(docs, liveRecordSchema, `${LIVE_FOLDER}${name}`);
    if (record?.value) records.push(record.value);
  }
  return records;
}

function indexOf(name: string): number {
  return Number(/(\d+)/.exec(name)?.[1] ?? 0);
}
