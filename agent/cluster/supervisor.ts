import path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { DeployError } from '../errors';
import { ManagedWorker, WorkerStartError, type Release } from './managed-worker';
import type { RollFailure, RollResult, SupervisorEvent } from './roll-types';
import { RollWatch } from './roll-watch';
import { Slot } from './slot';
import { resolveSupervisorOptions, type ResolvedSupervisorOptions, type SupervisorOptions } from './supervisor-options';
import { rollFailure } from './roll-failure';
import type { WorkerExit, WorkerHost } from './worker-host';
import { workerEnv } from './worker-env';

/** Where the workers' stdout and stderr go (the agent's own streams by default). */
export interface WorkerOutput {
  stdout(chunk: Buffer, worker: ManagedWorker): void;
  stderr(chunk: Buffer, worker: ManagedWorker): void;
}

export interface SupervisorDeps {
  readonly host: WorkerHost;
  readonly clock?: Clock;
  readonly output?: WorkerOutput;
  /** Environment every worker starts from. @default process.env */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Absolute path of the drain preload. @default drain-preload.js beside this file */
  readonly preloadPath?: string;
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** Workers run as this user / group id (config app.user / app.group). */
  readonly uid?: number;
  readonly gid?: number;
}

export interface SupervisorStatus {
  readonly version: string | undefined;
  readonly rolling: boolean;
  readonly workersReady: number;
  readonly workersTotal: number;
  readonly slots: readonly { slot: number; status: string; version: string; pid: number | undefined; state: string }[];
}

const inheritOutput: WorkerOutput = {
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
};

/** SIGKILL follows an ignored SIGTERM after this long. */
const killGraceMs = 5_000;

/**
 * The primary side: runs N workers of one release under node:cluster and
 * replaces them without dropping a request (DESIGN §2, rolling).
 */
export class Supervisor {
  readonly options: ResolvedSupervisorOptions;
  private readonly clock: Clock;
  private readonly output: WorkerOutput;
  private slots: Slot[] = [];
  private current: Release | undefined;
  /** Every worker not yet exited, retired ones included. */
  private readonly live = new Set<ManagedWorker>();
  private watch: RollWatch | undefined;
  private rolling = false;
  private stopping: Promise<void> | undefined;

  constructor(
    options: SupervisorOptions,
    private readonly deps: SupervisorDeps,
  ) {
    this.options = resolveSupervisorOptions(options);
    this.clock = deps.clock ?? systemClock;
    this.output = deps.output ?? inheritOutput;
  }

  get version(): string | undefined {
    return this.current?.version;
  }

  /** The release the workers run (with its env), undefined when not started. */
  get release(): Release | undefined {
    return this.current;
  }

  /** Starts every worker on `release` at once and resolves when all are ready. */
  async start(release: Release): Promise<void> {
    if (this.current) throw new DeployError('SUPERVISOR_STARTED', 'the supervisor is already running');
    this.current = release;
    const crashPolicy = this.crashPolicyOptions();
    this.slots = Array.from({ length: this.options.workers }, (_, i) => new Slot(i, release, crashPolicy));
    const workers = this.slots.map((slot) => this.spawnInto(slot, release));
    const results = await Promise.allSettled(workers.map((w) => w.ready));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const failure = rollFailure(failed.reason, 'start', 0);
      // Back to not started, so a later start (another release) can try again.
      this.stopping = Promise.resolve();
      for (const worker of workers) worker.letGo(0);
      await Promise.all(workers.map((w) => w.exited));
      this.slots = [];
      this.current = undefined;
      this.stopping = undefined;
      const tail = failure.stderr.length > 0 ? `\n${failure.stderr.slice(-5).join('\n')}` : '';
      throw new DeployError('SUPERVISOR_START_FAILED', `could not start ${release.version}: ${failure.message}${tail}`, {
        cause: failed.reason,
      });
    }
  }

  /** True once start() has succeeded and until stop(). */
  get running(): boolean {
    return this.current !== undefined && !this.stopping;
  }

  /**
   * Replaces every worker with one running `next`, `maxSurge` at a time (the
   * option, or `options.maxSurge` for this roll). Ready capacity never drops
   * below N. On failure the replaced slots go back to the previous release and
   * the result says what failed.
   */
  async roll(next: Release, options: { readonly maxSurge?: number } = {}): Promise<RollResult> {
    const previous = this.current;
    if (!previous) throw new DeployError('SUPERVISOR_NOT_STARTED', 'start the supervisor before rolling');
    if (this.rolling) throw new DeployError('ROLL_IN_PROGRESS', 'a roll is already in progress; wait for it to finish');
    if (this.stopping) throw new DeployError('SUPERVISOR_STOPPING', 'the supervisor is stopping');
    this.rolling = true;
    const startedAt = this.clock.now();
    const retired: ManagedWorker[] = [];
    const watch = new RollWatch(next, this.clock);
    this.watch = watch;
    const surge = Math.min(Math.max(1, options.maxSurge ?? this.options.maxSurge), this.options.workers);
    try {
      const replaceFailure = await this.replace(this.slots, next, retired, watch, surge);
      const rollMs = replaceFailure ? null : this.clock.now() - startedAt;
      const failure = replaceFailure ?? (await watch.stable(this.options.stableMs));
      const base = { version: next.version, previousVersion: previous.version, rollMs };
      if (!failure) {
        this.current = next;
        return { ...base, ok: true, rolledBack: false, durationMs: this.clock.now() - startedAt };
      }
      this.deps.onEvent?.({ type: 'roll-failed', failure });
      // The watch stays on during the rollback: more new workers dying just empty their slots.
      const undo = this.slots.filter((s) => s.release !== previous || !s.worker);
      const rollbackFailure = await this.replace(undo, previous, retired, undefined, surge);
      return {
        ...base,
        ok: false,
        failure,
        rolledBack: undo.length > 0 && !rollbackFailure,
        ...(rollbackFailure ? { rollbackFailure } : {}),
        durationMs: this.clock.now() - startedAt,
      };
    } finally {
      this.watch = undefined;
      // The roll is over: only now do old workers let their WebSockets go, so
      // clients reconnect once, onto workers that stay.
      for (const worker of retired) worker.letGo(this.options.wsCloseWindowMs);
      this.rolling = false;
    }
  }

  /** Graceful stop: every worker drains and exits; killed after shutdownTimeoutMs. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  /** Second signal: kill everything now. */
  forceStop(): void {
    for (const worker of this.allWorkers()) worker.process.kill('SIGKILL');
  }

  status(): SupervisorStatus {
    const slots = this.slots.map((s) => ({
      slot: s.index,
      status: s.status,
      version: s.release.version,
      pid: s.worker?.pid,
      state: s.worker?.state ?? 'none',
    }));
    return {
      version: this.current?.version,
      rolling: this.rolling,
      workersReady: this.slots.filter((s) => s.worker?.isServing()).length,
      workersTotal: this.slots.length,
      slots,
    };
  }

  private async replace(
    slots: readonly Slot[],
    release: Release,
    retired: ManagedWorker[],
    watch: RollWatch | undefined,
    surge: number,
  ): Promise<RollFailure | undefined> {
    for (let i = 0; i < slots.length; i += surge) {
      if (watch?.failure) return watch.failure;
      // A stop began: fork nothing more (not even to roll back); stop() takes every worker down.
      if (this.stopping) return rollFailure(new DeployError('SUPERVISOR_STOPPING', 'the supervisor is stopping'), 'start', -1);
      const batch = slots.slice(i, i + surge);
      const fresh = batch.map((slot) => this.spawn(slot, release));
      const results = await Promise.allSettled(fresh.map((w) => w.ready));
      const failedAt = results.findIndex((r) => r.status === 'rejected');
      if (failedAt >= 0) {
        const failed = results[failedAt] as PromiseRejectedResult;
        for (const worker of fresh) {
          if (worker.isServing()) {
            worker.retire();
            retired.push(worker);
          } else worker.letGo(0);
        }
        return rollFailure(failed.reason, 'start', batch[failedAt]?.index ?? -1);
      }
      batch.forEach((slot, k) => {
        const worker = fresh[k] as ManagedWorker;
        const old = slot.swap(worker);
        this.deps.onEvent?.({ type: 'worker-ready', slot: slot.index, version: release.version, pid: worker.pid });
        if (old && old.state !== 'dead') {
          old.retire();
          retired.push(old);
        }
      });
    }
    return watch?.failure;
  }

  /** Forks a worker for `slot` and puts it there at once (start-up and restarts). */
  private spawnInto(slot: Slot, release: Release): ManagedWorker {
    const worker = this.spawn(slot, release);
    slot.swap(worker);
    worker.ready.catch((error: unknown) => {
      // Not ready in time: treat like a crash of the slot (the exit is expected now).
      if (error instanceof WorkerStartError && error.reason === 'timeout' && slot.worker === worker) {
        worker.letGo(0);
        this.onCrash(slot, worker, { code: null, signal: 'start-timeout' });
      }
    });
    return worker;
  }

  private spawn(slot: Slot, release: Release): ManagedWorker {
    if (this.stopping) throw new DeployError('SUPERVISOR_STOPPING', `not forking a worker of ${release.version}: the supervisor is stopping`);
    const o = this.options;
    const proc = this.deps.host.fork({
      entryPath: path.resolve(release.dir, release.entry ?? o.entry),
      cwd: release.dir,
      env: workerEnv(this.options, release, this.deps.baseEnv ?? process.env),
      execArgv: o.drainPreload ? ['--require', this.preloadPath()] : [],
      ...(this.deps.uid !== undefined ? { uid: this.deps.uid } : {}),
      ...(this.deps.gid !== undefined ? { gid: this.deps.gid } : {}),
    });
    const worker = new ManagedWorker(proc, {
      slot: slot.index,
      release,
      readiness: o.readiness,
      startTimeoutMs: o.startTimeoutMs,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      killGraceMs,
      stderrTailLines: o.stderrTailLines,
      clock: this.clock,
    });
    proc.on('stdout', (chunk) => this.output.stdout(chunk, worker));
    proc.on('stderr', (chunk) => this.output.stderr(chunk, worker));
    this.live.add(worker);
    void worker.exited.then((exit) => {
      this.live.delete(worker);
      this.onExit(slot, worker, exit);
    });
    return worker;
  }

  private onExit(slot: Slot, worker: ManagedWorker, exit: WorkerExit): void {
    if (worker.retired || slot.worker !== worker) return;
    if (this.watch?.covers(worker)) {
      // A new worker died before the roll was stable: the roll undoes itself.
      slot.worker = undefined;
      this.watch.fail(rollFailure(new WorkerStartError('exit', worker.release.version, exit, worker.stderrTail(), worker.describeExit(exit, 'before the roll was stable')), 'stability', slot.index));
      return;
    }
    this.onCrash(slot, worker, exit);
  }

  private onCrash(slot: Slot, worker: ManagedWorker, exit: WorkerExit): void {
    slot.worker = undefined;
    if (this.stopping) return;
    const decision = slot.crashes.onCrash(this.clock.now(), this.clock.now() - worker.startedAt);
    const base = { slot: slot.index, version: worker.release.version };
    if (decision.action === 'give-up') {
      slot.status = 'crash-loop';
      this.deps.onEvent?.({ type: 'worker-crashed', ...base, pid: worker.pid, exit, error: worker.crashError, restartInMs: null });
      this.deps.onEvent?.({ type: 'crash-loop', ...base, crashes: decision.crashes });
      return;
    }
    slot.status = 'restarting';
    this.deps.onEvent?.({ type: 'worker-crashed', ...base, pid: worker.pid, exit, error: worker.crashError, restartInMs: decision.delayMs });
    slot.restartTimer = this.clock.setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.stopping && !slot.worker) this.spawnInto(slot, slot.release);
    }, decision.delayMs);
  }

  private async stopAll(): Promise<void> {
    const windowMs = Math.min(this.options.wsCloseWindowMs, Math.floor(this.options.shutdownTimeoutMs / 2));
    for (const slot of this.slots) slot.cancelRestart();
    const workers = this.allWorkers();
    for (const worker of workers) worker.letGo(windowMs);
    await Promise.all(workers.map((w) => w.exited));
  }

  /** Every worker not yet exited, retired ones included. */
  allWorkers(): ManagedWorker[] {
    return [...this.live];
  }

  private preloadPath(): string {
    return this.deps.preloadPath ?? path.join(__dirname, 'drain-preload.js');
  }

  private crashPolicyOptions() {
    const o = this.options;
    return {
      initialMs: o.restartBackoffInitialMs,
      maxMs: o.restartBackoffMaxMs,
      resetAfterMs: o.restartResetAfterMs,
      loopCount: o.crashLoopCount,
      loopWindowMs: o.crashLoopWindowMs,
    };
  }
}
