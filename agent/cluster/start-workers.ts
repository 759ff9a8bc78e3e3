import type { ManagedWorker, Release } from './managed-worker';
import { notServing } from './not-serving';
import type { PortProbe } from './port-probe';
import { Slot } from './slot';
import { startFailed } from './start-failure';
import type { WorkerPool } from './worker-pool';

/**
 * The start path: forks every worker of `release` at once, waits until all
 * are ready and `127.0.0.1:<app.port>` answers. On any failure — a fork that
 * throws, a worker that exits or is not ready in time, one that was ready and
 * died before the rest, a port that does not answer — every forked worker is
 * let go and awaited, the slots are emptied, and the error is thrown
 * (PORT_IN_USE or SUPERVISOR_START_FAILED). No restart timer outlives a failed
 * start: workers are restarted only once the pool is `running`.
 */
export async function startWorkers(pool: WorkerPool, release: Release, probe: PortProbe): Promise<void> {
  const o = pool.options;
  const crashPolicy = {
    initialMs: o.restartBackoffInitialMs,
    maxMs: o.restartBackoffMaxMs,
    resetAfterMs: o.restartResetAfterMs,
    loopCount: o.crashLoopCount,
    loopWindowMs: o.crashLoopWindowMs,
  };
  pool.slots = Array.from({ length: o.workers }, (_, i) => new Slot(i, release, crashPolicy));
  const workers: ManagedWorker[] = [];
  try {
    for (const slot of pool.slots) {
      const worker = pool.fork(slot, release);
      slot.swap(worker);
      workers.push(worker);
    }
    const results = await Promise.allSettled(workers.map((w) => w.ready));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await probe.answers(o.port, o.probeTimeoutMs);
    const gone = workers.find((w) => !w.isServing());
    if (gone) throw notServing(gone, 'before the other workers were');
  } catch (error) {
    await pool.letGoAll(workers);
    pool.slots = [];
    throw await startFailed(error, release, o.port);
  }
}
