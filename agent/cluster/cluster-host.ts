import cluster, { type Worker } from 'node:cluster';
import type { Writable } from 'node:stream';
import { CONTROL_FD, type ForkSpec, type ListenAddress, type WorkerEvents, type WorkerHost, type WorkerProcess } from './worker-host';

/** How the primary hands connections to workers. */
export type SchedulingPolicy = 'rr' | 'none';

/**
 * The real `node:cluster` behind the WorkerHost interface. Node keeps cluster
 * settings per process, so the policy is fixed by the first host created and
 * `setupPrimary` is called before every fork (each fork may run another release).
 */
export class ClusterHost implements WorkerHost {
  constructor(policy: SchedulingPolicy = 'rr') {
    cluster.schedulingPolicy = policy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  }

  fork(spec: ForkSpec): WorkerProcess {
    cluster.setupPrimary({
      exec: spec.entryPath,
      cwd: spec.cwd,
      execArgv: [...spec.execArgv],
      // Without `args` the cluster hands the agent's own argv (`--config …`) to the app.
      args: [...spec.args],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    // cluster.fork merges process.env under what it is given; pass the complete env
    // and blank out what the spec leaves out so the worker sees exactly the spec.
    const env: Record<string, string | undefined> = {};
    for (const key of Object.keys(process.env)) env[key] = undefined;
    Object.assign(env, spec.env);
    return new ClusterWorker(cluster.fork(env));
  }
}

class ClusterWorker implements WorkerProcess {
  private readonly controlPipe: Writable | undefined;

  constructor(private readonly worker: Worker) {
    // A failed send (the worker just died) must not crash the primary.
    worker.on('error', () => undefined);
    this.controlPipe = (worker.process.stdio[CONTROL_FD] ?? undefined) as Writable | undefined;
    this.controlPipe?.on('error', () => undefined);
  }

  get id(): number {
    return this.worker.id;
  }

  get pid(): number | undefined {
    return this.worker.process.pid;
  }

  on<E extends keyof WorkerEvents>(event: E, listener: WorkerEvents[E]): void {
    const w = this.worker;
    switch (event) {
      case 'exit':
        w.on('exit', (code: number | null, signal: string | null) =>
          (listener as WorkerEvents['exit'])({ code, signal }),
        );
        return;
      case 'stderr':
        w.process.stderr?.on('data', listener as WorkerEvents['stderr']);
        return;
      case 'stdout':
        w.process.stdout?.on('data', listener as WorkerEvents['stdout']);
        return;
      case 'listening':
        w.on('listening', (address: Partial<ListenAddress> | undefined) =>
          (listener as WorkerEvents['listening'])({
            address: address?.address ?? null,
            port: typeof address?.port === 'number' ? address.port : undefined,
            addressType: address?.addressType,
          }),
        );
        return;
      default:
        w.on(event, listener as (...args: unknown[]) => void);
    }
  }

  send(message: unknown): boolean {
    if (!this.worker.isConnected()) return false;
    try {
      return this.worker.send(message as never);
    } catch {
      return false;
    }
  }

  control(message: unknown): boolean {
    const pipe = this.controlPipe;
    if (!pipe || pipe.destroyed || !pipe.writable) return false;
    pipe.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  isConnected(): boolean {
    return this.worker.isConnected();
  }

  disconnect(): void {
    if (this.worker.isConnected()) this.worker.disconnect();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    // Not worker.kill(): that waits for the IPC channel to close first.
    try {
      this.worker.process.kill(signal);
    } catch {
      // already gone
    }
  }
}
