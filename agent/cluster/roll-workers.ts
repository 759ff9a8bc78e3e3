import { WorkerStartError, type ManagedWorker, type Release } from './managed-worker';
import type { PortProbe } from './port-probe';
import { rollFailure } from './roll-failure';
import type { RollFailure } from './roll-types';
import type { RollWatch } from './roll-watch';
import type { Slot } from './slot';
import { notServing } from './not-serving';
import type { WorkerPool } from './worker-pool';
import { DeployError } from '../errors';

/**
 * The roll path: replaces the workers of `slots` with ones running `release`,
 * `surge` at a time. A batch goes in only when every fresh worker of it is
 * serving at that moment: one that could not be forked, exited, timed out, or
 * was ready and then died while its batch-mates started fails the roll, and
 * the whole batch is let go (the ones that serve are retired like old workers,
 * so they drain). Old workers go to `retired`; the caller lets them go once
 * the roll is over.
 */
export async function replaceSlots(
  pool: WorkerPool,
  slots: readonly Slot[],
  release: Release,
  retired: ManagedWorker[],
  watch: RollWatch | undefined,
  surge: number,
): Promise<RollFailure | undefined> {
  for (let i = 0; i < slots.length; i += surge) {
    if (watch?.failure) return watch.failure;
    // A stop began: fork nothing more (not even to roll back); stop() takes every worker down.
    if (pool.phase !== 'running') return rollFailure(new DeployError('SUPERVISOR_STOPPING', 'the supervisor is stopping'), 'start', -1);
    const failure = await replaceBatch(pool, slots.slice(i, i + surge), release, retired);
    if (failure) return failure;
  }
  return watch?.failure;
}

async function replaceBatch(pool: WorkerPool, batch: readonly Slot[], release: Release, retired: ManagedWorker[]): Promise<RollFailure | undefined> {
  const fresh: ManagedWorker[] = [];
  const failure = await startBatch(pool, batch, release, fresh);
  if (failure) {
    for (const worker of fresh) {
      if (worker.isServing()) {
        worker.retire();
        retired.push(worker);
      } else worker.letGo(0);
    }
    return failure;
  }
  batch.forEach((slot, k) => {
    const worker = fresh[k] as ManagedWorker;
    const old = slot.swap(worker);
    pool.emit({ type: 'worker-ready', slot: slot.index, version: release.version, pid: worker.pid });
    if (old && old.state !== 'dead') {
      old.retire();
      retired.push(old);
    }
  });
  return undefined;
}

/** Forks the batch into `fresh` and waits for it; the failure, if any worker of it is not serving now. */
async function startBatch(pool: WorkerPool, batch: readonly Slot[], release: Release, fresh: ManagedWorker[]): Promise<RollFailure | undefined> {
  for (const slot of batch) {
    try {
      fresh.push(pool.fork(slot, release));
    } catch (error) {
      return rollFailure(error, 'start', slot.index);
    }
  }
  const results = await Promise.allSettled(fresh.map((w) => w.ready));
  const failedAt = results.findIndex((r) => r.status === 'rejected');
  if (failedAt >= 0) return rollFailure((results[failedAt] as PromiseRejectedResult).reason, 'start', batch[failedAt]?.index ?? -1);
  const goneAt = fresh.findIndex((w) => !w.isServing());
  if (goneAt >= 0) return rollFailure(notServing(fresh[goneAt] as ManagedWorker, 'before its batch was swapped in'), 'start', batch[goneAt]?.index ?? -1);
  return undefined;
}

/** After the workers are in: `127.0.0.1:<app.port>` must accept a connection, or the roll fails at 'serving'. */
export async function probeServing(pool: WorkerPool, probe: PortProbe, release: Release): Promise<RollFailure | undefined> {
  try {
    await probe.answers(pool.options.port, pool.options.probeTimeoutMs);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return rollFailure(new WorkerStartError('not-serving', release.version, undefined, [], `is in, but ${message}`, error), 'serving', -1);
  }
}
