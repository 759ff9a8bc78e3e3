import { describeError } from '../errors';
import { WorkerStartError, type ManagedWorker, type Release } from './managed-worker';
import { rollFailure } from './roll-failure';
import type { Slot } from './slot';
import type { WorkerExit } from './worker-host';
import type { WorkerPool } from './worker-pool';

/**
 * The restart path: a worker that dies while the supervisor is running is
 * restarted in its slot with exponential backoff, until the crash-loop guard
 * gives up on the slot. A worker that dies while the supervisor is starting
 * is not restarted (the start fails); nothing is forked once it stops. Every
 * restart timer lives on its slot, where stop() and the next swap cancel it.
 */
export class SlotRestarts {
  constructor(private readonly pool: WorkerPool) {}

  /** Every worker's exit comes here (WorkerPool's onExit). */
  onExit(slot: Slot, worker: ManagedWorker, exit: WorkerExit): void {
    if (worker.retired || slot.worker !== worker) return;
    const watch = this.pool.watch;
    if (watch?.covers(worker)) {
      // A new worker died before the roll was stable: the roll undoes itself.
      slot.worker = undefined;
      const error = new WorkerStartError('exit', worker.release.version, exit, worker.stderrTail(), worker.describeExit(exit, 'before the roll was stable'));
      watch.fail(rollFailure(error, 'stability', slot.index));
      return;
    }
    this.onCrash(slot, worker, exit);
  }

  /**
   * After a failed rollback: `release` is what the slot runs from now on. An
   * empty slot starts again on it after the slot's backoff (the status shows
   * it `restarting`); a slot still holding a worker of the failed release
   * keeps it serving, and restarts on `release` when it dies.
   */
  fallBack(slot: Slot, release: Release, reason: string): void {
    if (slot.release !== release) {
      slot.release = release;
      slot.crashes.reset();
    }
    this.restartEmpty(slot, reason);
  }

  /** An empty slot (a failed rollback, a fork that threw) starts again on its release after the slot's backoff. */
  private restartEmpty(slot: Slot, reason: string): void {
    if (slot.worker || slot.restartTimer || this.pool.phase !== 'running') return;
    const release = slot.release;
    const decision = slot.crashes.onCrash(this.pool.clock.now(), 0);
    if (decision.action === 'give-up') {
      slot.status = 'crash-loop';
      this.pool.emit({ type: 'crash-loop', slot: slot.index, version: release.version, crashes: decision.crashes });
      return;
    }
    this.pool.emit({ type: 'slot-restarting', slot: slot.index, version: release.version, restartInMs: decision.delayMs, reason });
    this.schedule(slot, decision.delayMs);
  }

  private onCrash(slot: Slot, worker: ManagedWorker, exit: WorkerExit): void {
    slot.worker = undefined;
    // Starting: the start fails and lets go of every worker; stopping: nothing more is forked.
    if (this.pool.phase !== 'running') return;
    const decision = slot.crashes.onCrash(this.pool.clock.now(), this.pool.clock.now() - worker.startedAt);
    const base = { slot: slot.index, version: worker.release.version, pid: worker.pid, exit, error: worker.crashError };
    if (decision.action === 'give-up') {
      slot.status = 'crash-loop';
      this.pool.emit({ type: 'worker-crashed', ...base, restartInMs: null });
      this.pool.emit({ type: 'crash-loop', slot: slot.index, version: base.version, crashes: decision.crashes });
      return;
    }
    this.pool.emit({ type: 'worker-crashed', ...base, restartInMs: decision.delayMs });
    this.schedule(slot, decision.delayMs);
  }

  private schedule(slot: Slot, delayMs: number): void {
    slot.cancelRestart();
    slot.status = 'restarting';
    slot.restartTimer = this.pool.clock.setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.pool.phase === 'running' && !slot.worker) this.restartNow(slot);
    }, delayMs);
  }

  /** Forks a worker for `slot` and puts it there at once. */
  private restartNow(slot: Slot): void {
    let worker: ManagedWorker;
    try {
      worker = this.pool.fork(slot, slot.release);
    } catch (error) {
      this.restartEmpty(slot, describeError(error));
      return;
    }
    slot.swap(worker);
    worker.ready.catch((error: unknown) => {
      // Not ready in time: treat like a crash of the slot (the exit is expected now).
      if (error instanceof WorkerStartError && error.reason === 'timeout' && slot.worker === worker) {
        worker.letGo(0);
        this.onCrash(slot, worker, { code: null, signal: 'start-timeout' });
      }
    });
  }
}
