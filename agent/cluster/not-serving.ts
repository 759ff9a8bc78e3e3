import { WorkerStartError, type ManagedWorker } from './managed-worker';

/** A fresh worker that was ready and no longer serves (it exited, or drains after a crash) `when` it should have gone in. */
export function notServing(worker: ManagedWorker, when: string): WorkerStartError {
  const exit = worker.exit;
  const how = exit ? worker.describeExit(exit, `after it was ready, ${when}`) : `stopped serving (${worker.state}) after it was ready, ${when}`;
  return new WorkerStartError(exit ? 'exit' : 'not-serving', worker.release.version, exit, worker.stderrTail(), how);
}
