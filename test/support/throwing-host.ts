import { ClusterHost } from '../../agent/cluster/cluster-host';
import type { ForkSpec, WorkerHost, WorkerProcess } from '../../agent/cluster/worker-host';

/**
 * The real ClusterHost, except that the forks numbered in `failOn` (1-based,
 * counted over the host's life) throw synchronously, as `child_process.fork`
 * does with EPERM (app.user without CAP_SETUID) or ENOMEM. Every other fork
 * is a real `node:cluster` worker: a real cluster cannot be made to fail one
 * chosen fork of a batch.
 */
export class ThrowingHost implements WorkerHost {
  forks = 0;
  private readonly real = new ClusterHost('rr');

  constructor(
    private readonly failOn: ReadonlySet<number>,
    private readonly code = 'EPERM',
  ) {}

  fork(spec: ForkSpec): WorkerProcess {
    this.forks += 1;
    if (this.failOn.has(this.forks)) {
      throw Object.assign(new Error(`spawn ${this.code}`), { code: this.code, syscall: 'spawn', errno: -1 });
    }
    return this.real.fork(spec);
  }
}
