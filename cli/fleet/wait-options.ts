import { DEFAULT_STALE_AFTER_MS } from './fleet';
import { formatDuration, parseDuration } from '../args/duration';
import { UsageError } from '../args/usage-error';

/** The flags of the commands that flip desired.json and can wait for the fleet (push, rollback). */
export const WAIT_FLAGS = {
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'stale-after': { type: 'string' },
} as const;

/** `--timeout` when not given. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly staleAfterMs: number;
}

/** The default of `--stale-after` as the help texts show it (`15m`). */
export const DEFAULT_STALE_AFTER_TEXT = formatDuration(DEFAULT_STALE_AFTER_MS);

/** `--wait [--timeout 10m] [--stale-after 15m]`; undefined without --wait (the other two need it). */
export function parseWaitFlags(command: string, values: { wait?: boolean; timeout?: string; 'stale-after'?: string }): WaitOptions | undefined {
  if (values.wait !== true) {
    const stray = values.timeout !== undefined ? '--timeout' : values['stale-after'] !== undefined ? '--stale-after' : undefined;
    if (stray !== undefined) throw new UsageError(`${stray} only applies with --wait (see 'deployctl ${command} --help')`);
    return undefined;
  }
  return {
    timeoutMs: values.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : parseDuration(values.timeout, '--timeout'),
    staleAfterMs: parseStaleAfter(values['stale-after']),
  };
}

/** `--stale-after`: reports older than this do not count (default 15m, 3 × the default heartbeat). */
export function parseStaleAfter(text: string | undefined): number {
  return text === undefined ? DEFAULT_STALE_AFTER_MS : parseDuration(text, '--stale-after');
}
