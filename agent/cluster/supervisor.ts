import path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { DeployError } from '../errors';
import type { ManagedWorker, Release } from './managed-worker';
import { tcpPortProbe, type PortProbe } from './port-probe';
import type { RollResult, SupervisorEvent } from './roll-types';
import { RollWatch } from './roll-watch';
import { probeServing, replaceSlots } from './roll-workers';
import { SlotRestarts } from './slot-restarts';
import { startWorkers } from './start-workers';
import { resolveSupervisorOptions, type ResolvedSupervisorOptions, type SupervisorOptions } from './supervisor-options';
import { isShuttingDown, type SupervisorPhase } from './supervisor-phase';
import type { WorkerHost } from './worker-host';
import { WorkerPool, type WorkerOutput } from './worker-pool';

export type { WorkerOutput } from './worker-pool';

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
  /** Checks that 127.0.0.1:<port> answers after a start or roll. @default a real TCP connect */
  readonly probe?: PortProbe;
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

/**
 * The primary side: runs N workers of one release under node:cluster and
 * replaces them without dropping a request (DESIGN §2, rolling). The paths
 * live in their own files: start-workers.ts, roll-workers.ts, slot-restarts.ts.
 */
export class Supervisor {
  readonly options: ResolvedSupervisorOptions;
  private readonly clock: Clock;
  private readonly pool: WorkerPool;
  private readonly restarts: SlotRestarts;
  private readonly probe: PortProbe;
  private current: Release | undefined;
  private rolling = false;
  private stopping: Promise<void> | undefined;

  constructor(options: SupervisorOptions, deps: SupervisorDeps) {
    this.options = resolveSupervisorOptions(options);
    this.clock = deps.clock ?? systemClock;
    this.probe = deps.probe ?? tcpPortProbe;
    this.pool = new WorkerPool(
      this.options,
      {
        host: deps.host,
        clock: this.clock,
        output: deps.output ?? inheritOutput,
        baseEnv: deps.baseEnv ?? process.env,
        preloadPath: deps.preloadPath ?? path.join(__dirname, 'drain-preload.js'),
        ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
        ...(deps.uid !== undefined ? { uid: deps.uid } : {}),
        ...(deps.gid !== undefined ? { gid: deps.gid } : {}),
      },
      (slot, worker, exit) => this.restarts.onExit(slot, worker, exit),
    );
    this.restarts = new SlotRestarts(this.pool);
  }

  get version(): string | undefined {
    return this.current?.version;
  }

  /** The release the workers run (with its env), undefined when not started. */
  get release(): Release | undefined {
    return this.current;
  }

  /**
   * Starts every worker on `release` at once and resolves when all are ready
   * and the port answers; `current` is set only then. A failed start leaves
   * nothing running, so a later start (another release) can try again.
   */
  async start(release: Release): Promise<void> {
    if (this.phase() !== 'idle') {
      throw isShuttingDown(this.phase())
        ? new DeployError('SUPERVISOR_STOPPING', 'the supervisor is stopping')
        : new DeployError('SUPERVISOR_STARTED', 'the supervisor is already running');
    }
    this.pool.to('starting');
    try {
      await startWorkers(this.pool, release, this.probe);
    } catch (error) {
      if (this.phase() === 'starting') this.pool.to('idle');
      throw error;
    }
    if (this.phase() !== 'starting') throw new DeployError('SUPERVISOR_STOPPING', `the supervisor stopped while ${release.version} started`);
    this.pool.to('running');
    this.current = release;
  }

  /** True once start() has succeeded and until stop(). */
  get running(): boolean {
    return this.phase() === 'running';
  }

  /**
   * Replaces every worker with one running `next`, `maxSurge` at a time (the
   * option, or `options.maxSurge` for this roll). Ready capacity never drops
   * below N. On failure the replaced slots go back to the previous release and
   * the result says what failed; a slot the rollback leaves empty is restarted
   * on the previous release with backoff.
   */
  async roll(next: Release, options: { readonly maxSurge?: number } = {}): Promise<RollResult> {
    const previous = this.current;
    if (isShuttingDown(this.phase())) throw new DeployError('SUPERVISOR_STOPPING', 'the supervisor is stopping');
    if (!previous || this.phase() !== 'running') throw new DeployError('SUPERVISOR_NOT_STARTED', 'start the supervisor before rolling');
    if (this.rolling) throw new DeployError('ROLL_IN_PROGRESS', 'a roll is already in progress; wait for it to finish');
    this.rolling = true;
    const startedAt = this.clock.now();
    const retired: ManagedWorker[] = [];
    const watch = new RollWatch(next, this.clock);
    this.pool.watch = watch;
    const surge = Math.min(Math.max(1, options.maxSurge ?? this.options.maxSurge), this.options.workers);
    try {
      const replaceFailure = await replaceSlots(this.pool, this.pool.slots, next, retired, watch, surge);
      const rollMs = replaceFailure ? null : this.clock.now() - startedAt;
      const failure = replaceFailure ?? (await probeServing(this.pool, this.probe, next)) ?? (await watch.stable(this.options.stableMs));
      const base = { version: next.version, previousVersion: previous.version, rollMs };
      if (!failure) {
        this.current = next;
        return { ...base, ok: true, rolledBack: false, durationMs: this.clock.now() - startedAt };
      }
      this.pool.emit({ type: 'roll-failed', failure });
      // The watch stays on during the rollback: more new workers dying just empty their slots.
      const undo = this.pool.slots.filter((s) => !s.worker || s.worker.release !== previous);
      const rollbackFailure = await replaceSlots(this.pool, undo, previous, retired, undefined, surge);
      if (rollbackFailure) for (const slot of undo) this.restarts.fallBack(slot, previous, `the rollback to ${previous.version} failed: ${rollbackFailure.message}`);
      return {
        ...base,
        ok: false,
        failure,
        rolledBack: undo.length > 0 && !rollbackFailure,
        ...(rollbackFailure ? { rollbackFailure } : {}),
        durationMs: this.clock.now() - startedAt,
      };
    } finally {
      this.pool.watch = undefined;
      // The roll is over: only now do old workers let their WebSockets go, so
      // clients reconnect once, onto workers that stay.
      for (const worker of retired) worker.letGo(this.options.wsCloseWindowMs);
      this.rolling = false;
    }
  }

  /**
   * Drains and stops every worker and goes back to `idle`: nothing is served
   * and `version` is undefined, and a later start() can try again. For a first
   * release that could not be made the instance's own on disk (DESIGN §2), so
   * that what runs is what a restart serves.
   */
  async stopWorkers(): Promise<void> {
    if (this.phase() !== 'running' || this.rolling) throw new DeployError('SUPERVISOR_NOT_STARTED', 'only a running supervisor that is not rolling can stop its workers');
    this.pool.to('idle'); // from here no crashed worker is restarted
    this.current = undefined;
    for (const slot of this.pool.slots) slot.cancelRestart();
    await this.letGoEveryWorker();
    this.pool.slots = [];
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
    const slots = this.pool.slots;
    return {
      version: this.current?.version,
      rolling: this.rolling,
      workersReady: slots.filter((s) => s.worker?.isServing()).length,
      workersTotal: slots.length,
      // The version of the worker in the slot, else the one the slot (re)starts on.
      slots: slots.map((s) => ({ slot: s.index, status: s.status, version: (s.worker?.release ?? s.release).version, pid: s.worker?.pid, state: s.worker?.state ?? 'none' })),
    };
  }

  /** Every worker not yet exited, retired ones included. */
  allWorkers(): ManagedWorker[] {
    return this.pool.allWorkers();
  }

  private phase(): SupervisorPhase {
    return this.pool.phase;
  }

  private async stopAll(): Promise<void> {
    this.pool.to('stopping');
    for (const slot of this.pool.slots) slot.cancelRestart();
    await this.letGoEveryWorker();
    // A start under way lets go of its own workers; wait for those too.
    while (this.pool.live.size > 0) await Promise.all(this.allWorkers().map((w) => w.exited));
    this.pool.to('stopped');
  }

  /** Every live worker drains (WebSockets closed within the window) and exits; resolves once all have. */
  private async letGoEveryWorker(): Promise<void> {
    const windowMs = Math.min(this.options.wsCloseWindowMs, Math.floor(this.options.shutdownTimeoutMs / 2));
    const workers = this.allWorkers();
    for (const worker of workers) worker.letGo(windowMs);
    await Promise.all(workers.map((w) => w.exited));
  }
}
