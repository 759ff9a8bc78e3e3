import path from 'node:path';
import type { Clock } from '../clock';
import { DeployError, describeError } from '../errors';
import { ManagedWorker, WorkerStartError, type Release } from './managed-worker';
import type { SupervisorEvent } from './roll-types';
import type { RollWatch } from './roll-watch';
import type { Slot } from './slot';
import type { ResolvedSupervisorOptions } from './supervisor-options';
import { isShuttingDown, nextPhase, type SupervisorPhase } from './supervisor-phase';
import type { WorkerExit, WorkerHost, WorkerProcess } from './worker-host';
import { workerEnv } from './worker-env';

/** Where the workers' stdout and stderr go (the agent's own streams by default). */
export interface WorkerOutput {
  stdout(chunk: Buffer, worker: ManagedWorker): void;
  stderr(chunk: Buffer, worker: ManagedWorker): void;
}

export interface WorkerPoolDeps {
  readonly host: WorkerHost;
  readonly clock: Clock;
  readonly output: WorkerOutput;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly preloadPath: string;
  readonly onEvent?: (event: SupervisorEvent) => void;
  readonly uid?: number;
  readonly gid?: number;
}

/** SIGKILL follows an ignored SIGTERM after this long. */
const killGraceMs = 5_000;

/**
 * What the start, roll and restart paths share: the slots, every live worker
 * (retired ones included), the phase, the watch of a roll under way, and the
 * one place workers are forked.
 */
export class WorkerPool {
  slots: Slot[] = [];
  /** Every worker not yet exited, retired ones included. */
  readonly live = new Set<ManagedWorker>();
  watch: RollWatch | undefined;
  private currentPhase: SupervisorPhase = 'idle';

  constructor(
    readonly options: ResolvedSupervisorOptions,
    readonly deps: WorkerPoolDeps,
    /** Called once for every worker that exits (after it left `live`). */
    private readonly onExit: (slot: Slot, worker: ManagedWorker, exit: WorkerExit) => void,
  ) {}

  get phase(): SupervisorPhase {
    return this.currentPhase;
  }

  to(phase: SupervisorPhase): void {
    this.currentPhase = nextPhase(this.currentPhase, phase);
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  emit(event: SupervisorEvent): void {
    this.deps.onEvent?.(event);
  }

  /**
   * Forks a worker of `release` for `slot` (not put in the slot). A fork that
   * throws (EPERM for app.user without CAP_SETUID, ENOMEM, EAGAIN) is a
   * WorkerStartError with reason 'fork'.
   */
  fork(slot: Slot, release: Release): ManagedWorker {
    if (isShuttingDown(this.currentPhase)) {
      throw new DeployError('SUPERVISOR_STOPPING', `not forking a worker of ${release.version}: the supervisor is stopping`);
    }
    const o = this.options;
    let proc: WorkerProcess;
    try {
      proc = this.deps.host.fork({
        entryPath: path.resolve(release.dir, release.entry ?? o.entry),
        cwd: release.dir,
        env: workerEnv(o, release, this.deps.baseEnv),
        execArgv: o.drainPreload ? ['--require', this.deps.preloadPath] : [],
        args: o.args,
        ...(this.deps.uid !== undefined ? { uid: this.deps.uid } : {}),
        ...(this.deps.gid !== undefined ? { gid: this.deps.gid } : {}),
      });
    } catch (error) {
      throw new WorkerStartError('fork', release.version, undefined, [], `could not be forked: ${describeError(error)}`, error);
    }
    const worker = new ManagedWorker(proc, {
      slot: slot.index,
      release,
      port: o.port,
      readiness: o.readiness,
      startTimeoutMs: o.startTimeoutMs,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      killGraceMs,
      stderrTailLines: o.stderrTailLines,
      clock: this.deps.clock,
    });
    proc.on('stdout', (chunk) => this.deps.output.stdout(chunk, worker));
    proc.on('stderr', (chunk) => this.deps.output.stderr(chunk, worker));
    this.live.add(worker);
    void worker.exited.then((exit) => {
      this.live.delete(worker);
      this.onExit(slot, worker, exit);
    });
    return worker;
  }

  /** Lets go of `workers` (killed after shutdownTimeoutMs) and resolves once all have exited. */
  async letGoAll(workers: readonly ManagedWorker[]): Promise<void> {
    for (const worker of workers) worker.letGo(0);
    await Promise.all(workers.map((w) => w.exited));
  }

  allWorkers(): ManagedWorker[] {
    return [...this.live];
  }
}
