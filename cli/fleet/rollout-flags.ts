import { randomBytes } from 'node:crypto';
import type { RolloutPolicy } from '../../agent/store/documents';
import { parseDuration } from '../args/duration';
import { UsageError } from '../args/usage-error';

/** The rollout policy flags of push and rollback (DESIGN §7); names kept as issue #13 gives them. */
export const ROLLOUT_FLAGS = {
  canary: { type: 'string' },
  batch: { type: 'string' },
  bake: { type: 'string' },
  'max-failures': { type: 'string' },
  deadline: { type: 'string' },
  'no-revert': { type: 'boolean' },
} as const;

/** The help lines of the rollout flags, shared by `push` and `rollback` (no trailing newline). */
export const ROLLOUT_FLAGS_HELP = `  --canary N           only N instances take it until all N are live and baked
  --batch N|P%         at most N (or P% of the live fleet) deploy at once (default 100%)
  --bake DUR           canaries stay healthy this long before the rest start (default 0)
  --max-failures N|P%  once this many instances failed it, none starts it and the
                       fleet is reverted to lastGood (default 1)
  --deadline DUR       no instance live within this: the rollout failed (default 30m)
  --no-revert          stop at the failure budget, but leave desired.json as is`;

export const DEFAULT_DEADLINE_MS = 30 * 60_000;

/** A count flag: a number of instances, or a percentage of the live fleet. */
export type CountOrPercent = { readonly text: string; readonly count: number } | { readonly text: string; readonly percent: number };

/** What the flags asked for, before percentages are resolved against the fleet. */
export interface RolloutRequest {
  readonly canary: number;
  readonly batch: CountOrPercent;
  readonly bakeMs: number;
  readonly maxFailures: CountOrPercent;
  readonly deadlineMs: number;
  readonly revert: boolean;
}

type RolloutValues = { canary?: string; batch?: string; bake?: string; 'max-failures'?: string; deadline?: string; 'no-revert'?: boolean };

/** The flags, or undefined when none was given: then the push is a plain one (every instance at once, no revert). */
export function parseRolloutFlags(values: RolloutValues): RolloutRequest | undefined {
  const given = Object.keys(ROLLOUT_FLAGS).some((flag) => values[flag as keyof RolloutValues] !== undefined);
  if (!given) return undefined;
  const canary = values.canary === undefined ? 0 : wholeNumber(values.canary, '--canary', 0);
  if (values.bake !== undefined && canary === 0) throw new UsageError('--bake only applies with --canary N: the canaries bake before the rest of the fleet starts');
  return {
    canary,
    batch: countOrPercent(values.batch ?? '100%', '--batch'),
    bakeMs: values.bake === undefined ? 0 : parseBake(values.bake),
    maxFailures: countOrPercent(values['max-failures'] ?? '1', '--max-failures'),
    deadlineMs: values.deadline === undefined ? DEFAULT_DEADLINE_MS : parseDuration(values.deadline, '--deadline'),
    revert: values['no-revert'] !== true,
  };
}

/** The policy desired.json carries: percentages resolved against `liveInstances` (rounded up, at least 1). */
export function resolvePolicy(request: RolloutRequest, version: string, liveInstances: number, by: string, now: Date = new Date()): RolloutPolicy {
  const batchSize = 'percent' in request.batch ? (request.batch.percent >= 100 ? null : ofFleet(request.batch.percent, liveInstances)) : request.batch.count;
  const maxFailuresCount = 'percent' in request.maxFailures ? ofFleet(request.maxFailures.percent, liveInstances) : request.maxFailures.count;
  return {
    id: rolloutId(version, now),
    canary: request.canary,
    batch: request.batch.text,
    batchSize,
    bakeMs: request.bakeMs,
    maxFailures: request.maxFailures.text,
    maxFailuresCount,
    deadlineMs: request.deadlineMs,
    revert: request.revert,
    startedAt: now.toISOString(),
    by,
  };
}

/** `v42-mbx3k2-1a2b3c`: the version, the time and a random tail (unique, a valid store key). */
export function rolloutId(version: string, now: Date): string {
  return `${version.slice(0, 96)}-${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function ofFleet(percent: number, liveInstances: number): number {
  return Math.max(1, Math.ceil((percent / 100) * liveInstances));
}

function countOrPercent(text: string, flag: string): CountOrPercent {
  const percent = /^(\d{1,3})%$/.exec(text.trim());
  if (percent?.[1] !== undefined) {
    const value = Number(percent[1]);
    if (value < 1 || value > 100) throw new UsageError(`${flag} must be a percentage from 1% to 100%, not ${JSON.stringify(text)}`);
    return { text: `${value}%`, percent: value };
  }
  return { text: text.trim(), count: wholeNumber(text, flag, 1) };
}

function wholeNumber(text: string, flag: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
    throw new UsageError(`${flag} must be a whole number of ${min} or more${flag === '--canary' ? '' : ' or a percentage like 25%'}, not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function parseBake(text: string): number {
  return text.trim() === '0' ? 0 : parseDuration(text, '--bake');
}
