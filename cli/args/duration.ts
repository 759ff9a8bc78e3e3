import { UsageError } from './usage-error';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * A duration flag: `90s`, `10m`, `1h`, `250ms`, or a plain number of
 * milliseconds. Anything else, zero or a negative value is a UsageError
 * naming the flag.
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const amount = match?.[1];
  if (amount === undefined) {
    throw new UsageError(`${flag} must be a duration like 90s, 10m, 1h or a number of milliseconds, not ${JSON.stringify(text)}`);
  }
  const ms = Math.round(Number(amount) * UNIT_MS[(match?.[2] ?? 'ms') as keyof typeof UNIT_MS]);
  if (ms <= 0) throw new UsageError(`${flag} must be more than 0, not ${JSON.stringify(text)}`);
  return ms;
}

/** The way a user would write it back: `10m`, `90s`, `1h`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms > 0 && ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  if (ms % UNIT_MS.s === 0) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}

/** An age for a table, to the second: `4s`, `2m05s`, `3h12m`. Negative ages (clock skew) show as 0s. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
}
