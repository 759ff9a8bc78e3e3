import { z } from 'zod';
import type { ConditionalDocs } from '../store/conditional-docs';
import { rolloutPolicySchema } from '../store/documents';
import { nonce, parseRecord, serialize } from './rollout-records';

/**
 * history/<time>-<rand>.json (DESIGN §7): one record per push, rollback and
 * revert, created exclusively and never changed. The outcome of a push or
 * rollback is not stored: `deployctl history` works it out from the rollout's
 * records, desired.json and the reverts that name it.
 */
export const historySchema = z.object({
  kind: z.enum(['push', 'rollback', 'revert', 'abort']),
  version: z.string(),
  /** The version desired.json named before. */
  from: z.string().nullable(),
  by: z.string(),
  at: z.string(),
  rollout: rolloutPolicySchema.optional(),
  /** revert/abort: the rollout reverted and why. */
  revertedRollout: z.string().optional(),
  reason: z.string().optional(),
  nonce: z.string(),
});
export type HistoryEntry = z.infer<typeof historySchema>;

export const HISTORY_FOLDER = 'history/';

/** Adds an entry; its name sorts by time (ISO-8601 with ms, then a random tail). */
export async function appendHistory(docs: ConditionalDocs, entry: Omit<HistoryEntry, 'nonce'>): Promise<void> {
  const id = nonce();
  const name = `${entry.at.replace(/[:.]/g, '-')}-${id}.json`;
  await docs.create(`${HISTORY_FOLDER}${name}`, serialize({ ...entry, nonce: id }));
}

/** Every entry, newest first. */
export async function readHistory(docs: ConditionalDocs): Promise<HistoryEntry[]> {
  const names = await docs.list(HISTORY_FOLDER);
  const entries: HistoryEntry[] = [];
  for (const name of names) {
    const doc = await docs.read(`${HISTORY_FOLDER}${name}`);
    const entry = doc === undefined ? undefined : parseRecord(historySchema, doc.text);
    if (entry) entries.push(entry);
  }
  return entries.sort((a, b) => b.at.localeCompare(a.at));
}
