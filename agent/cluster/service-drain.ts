import type { ManagedWorker } from './managed-worker';
import type { ResolvedSupervisorOptions } from './supervisor-options';

/** What it needs of the supervisor. */
export interface WorkerSet {
  readonly options: Pick<ResolvedSupervisorOptions, 'drainPreload' | 'wsCloseWindowMs'>;
  allWorkers(): readonly ManagedWorker[];
}

/**
 * The workers' side of taking the instance out of the load balancer
 * (service-out deploys, the graceful stop): through the drain preload, every
 * worker stops keeping connections alive and closes its WebSockets (1012),
 * but keeps listening; and each counts the sockets it has open on the app port.
 */
export class ServiceDrain {
  constructor(private readonly workers: WorkerSet) {}

  /** Every worker lets its connections go (wsCloseWindowMs for the WebSockets) and keeps listening. */
  enterServiceDrain(): void {
    for (const worker of this.workers.allWorkers()) worker.enterServiceDrain(this.workers.options.wsCloseWindowMs);
  }

  /** Back in service: undoes enterServiceDrain on the workers that are still there. */
  leaveServiceDrain(): void {
    for (const worker of this.workers.allWorkers()) worker.leaveServiceDrain();
  }

  /** Sockets open on the app port across every live worker; undefined when one cannot tell (or drainPreload is off). */
  async openConnections(timeoutMs: number): Promise<number | undefined> {
    if (!this.workers.options.drainPreload) return undefined;
    const counts = await Promise.all(this.workers.allWorkers().map((w) => w.openConnections(timeoutMs)));
    return counts.reduce<number | undefined>((sum, n) => (sum === undefined || n === undefined ? undefined : sum + n), 0);
  }
}
