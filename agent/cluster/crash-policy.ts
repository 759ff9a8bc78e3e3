/**
 * When to restart a crashed worker: exponential backoff per slot, reset after
 * a long enough life, and a crash-loop guard that gives up on a slot instead
 * of restarting it in a tight loop. Pure: the caller passes the clock's time.
 */
export interface CrashPolicyOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  readonly loopCount: number;
  readonly loopWindowMs: number;
}

export type CrashDecision = { readonly action: 'restart'; readonly delayMs: number } | { readonly action: 'give-up'; readonly crashes: number };

export class CrashPolicy {
  private crashTimes: number[] = [];
  private consecutive = 0;

  constructor(private readonly options: CrashPolicyOptions) {}

  /** A worker of this slot died unexpectedly at `nowMs` after living `upMs`. */
  onCrash(nowMs: number, upMs: number): CrashDecision {
    const o = this.options;
    if (upMs >= o.resetAfterMs) this.consecutive = 0;
    this.consecutive += 1;
    this.crashTimes = [...this.crashTimes.filter((t) => nowMs - t < o.loopWindowMs), nowMs];
    if (this.crashTimes.length >= o.loopCount) return { action: 'give-up', crashes: this.crashTimes.length };
    const delayMs = Math.min(o.maxMs, o.initialMs * 2 ** (this.consecutive - 1));
    return { action: 'restart', delayMs };
  }

  /** A new release replaced the slot: its history no longer applies. */
  reset(): void {
    this.crashTimes = [];
    this.consecutive = 0;
  }
}
