import type { Clock } from '../clock';
import type { ManagedWorker, Release } from './managed-worker';
import type { RollFailure } from './roll-types';

/**
 * Watches the new release's workers while a roll runs and for `stableMs`
 * after it: the first one that dies fails the roll.
 */
export class RollWatch {
  failure: RollFailure | undefined;
  private notify: (() => void) | undefined;

  constructor(
    readonly release: Release,
    private readonly clock: Clock,
  ) {}

  covers(worker: ManagedWorker): boolean {
    return worker.release === this.release;
  }

  fail(failure: RollFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.notify?.();
  }

  /** Resolves with the failure if one happens within `ms`, else undefined. */
  stable(ms: number): Promise<RollFailure | undefined> {
    if (this.failure || ms <= 0) return Promise.resolve(this.failure);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(this.failure), ms);
      this.notify = () => {
        timer.clear();
        resolve(this.failure);
      };
    });
  }
}
