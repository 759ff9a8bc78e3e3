import type { Timer } from '../clock';
import { CrashPolicy, type CrashPolicyOptions } from './crash-policy';
import type { ManagedWorker, Release } from './managed-worker';

/** What a slot is doing: serving, waiting to restart a crashed worker, or given up on. */
export type SlotStatus = 'running' | 'restarting' | 'crash-loop';

/** One of the N places a worker runs in; a roll swaps the worker in each slot. */
export class Slot {
  worker: ManagedWorker | undefined;
  status: SlotStatus = 'running';
  restartTimer: Timer | undefined;
  readonly crashes: CrashPolicy;

  constructor(
    readonly index: number,
    public release: Release,
    crashPolicy: CrashPolicyOptions,
  ) {
    this.crashes = new CrashPolicy(crashPolicy);
  }

  /** Puts `worker` in the slot; returns the worker it replaces, if any. */
  swap(worker: ManagedWorker): ManagedWorker | undefined {
    const old = this.worker;
    this.cancelRestart();
    this.worker = worker;
    this.status = 'running';
    if (worker.release !== this.release) this.crashes.reset();
    this.release = worker.release;
    return old;
  }

  cancelRestart(): void {
    this.restartTimer?.clear();
    this.restartTimer = undefined;
  }
}
