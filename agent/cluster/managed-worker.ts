import type { Clock, Timer } from '../clock';
import { DeployError } from '../errors';
import { closeWebSockets, connectionsAnswer, countConnections, crashedError, messageKey, serviceDrain, serviceResume, SHUTDOWN } from './messages';
import { StderrTail } from './stderr-tail';
import type { Readiness } from './supervisor-options';
import type { ListenAddress, WorkerExit, WorkerProcess } from './worker-host';
import { isLeaving, transition, type WorkerState } from './worker-state';

/** A release as the supervisor runs it: an unpacked directory and its name. */
export interface Release {
  readonly version: string;
  readonly dir: string;
  /** Entry file relative to `dir`; the supervisor's `entry` option when absent. */
  readonly entry?: string;
  /**
   * The release's own environment (manifest `env`, then resolved secrets), over
   * app.env. Held in memory only: never written to disk or a report.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Why a new worker never served: it exited, was not ready in time, could not
 * be forked at all, or was ready and had stopped serving by the time it was
 * swapped in (or the port did not answer).
 */
export type StartFailureReason = 'exit' | 'timeout' | 'fork' | 'not-serving';

/** A new worker did not become ready; says why, with the last lines it wrote to stderr. */
export class WorkerStartError extends DeployError {
  constructor(
    readonly reason: StartFailureReason,
    readonly version: string,
    readonly exit: WorkerExit | undefined,
    readonly stderr: readonly string[],
    detail: string,
    cause?: unknown,
  ) {
    super('WORKER_START_FAILED', `worker of ${version} ${detail}`, cause === undefined ? undefined : { cause });
  }

  override get name(): string {
    return 'WorkerStartError';
  }
}

export interface ManagedWorkerOptions {
  readonly slot: number;
  readonly release: Release;
  /** app.port: readiness needs a listen on it. */
  readonly port: number;
  readonly readiness: Readiness;
  readonly startTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** SIGKILL follows SIGTERM after this long. */
  readonly killGraceMs: number;
  readonly stderrTailLines: number;
  readonly clock: Clock;
}

type Handler = (worker: ManagedWorker, message: unknown) => void;

/** IPC messages from the worker, routed by key (see messages.ts). */
const messageHandlers: Readonly<Record<'ready' | 'crashed' | 'connections', Handler>> = {
  ready: (worker) => worker.onReadyMessage(),
  crashed: (worker, message) => worker.markCrashed(crashedError(message)),
  connections: (worker, message) => worker.onConnectionsAnswer(message),
};


/**
 * One worker process and what the primary knows of it: its state, whether it
 * became ready in time, how it exited, and its last stderr lines.
 */
export class ManagedWorker {
  readonly slot: number;
  readonly release: Release;
  readonly startedAt: number;
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  state: WorkerState = 'none';
  /** Set when the worker reported an uncaught exception (drain preload). */
  crashError: string | undefined;
  /** True once the supervisor told it to go: its exit is expected. */
  retired = false;
  /** How it exited, once it has. */
  exit: WorkerExit | undefined;

  private readonly tail: StderrTail;
  private resolveReady!: () => void;
  private rejectReady!: (error: WorkerStartError) => void;
  private settledReady = false;
  /** Every port it listened on, in order (the cluster's 'listening' events). */
  private readonly ports: number[] = [];
  private readyMessage = false;
  private startTimer: Timer | undefined;
  private killTimer: Timer | undefined;
  private released = false;
  /** Connection-count questions waiting for the preload's answer, by id. */
  private readonly questions = new Map<number, (open: number) => void>();
  private nextQuestion = 1;

  constructor(
    readonly process: WorkerProcess,
    private readonly options: ManagedWorkerOptions,
  ) {
    this.slot = options.slot;
    this.release = options.release;
    this.startedAt = options.clock.now();
    this.tail = new StderrTail(options.stderrTailLines);
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it
    this.exited = new Promise<WorkerExit>((resolve) => process.on('exit', resolve));

    process.on('online', () => this.to('online', ['none']));
    process.on('listening', (address) => this.onListening(address));
    process.on('message', (message) => {
      const key = messageKey(message);
      if (key) messageHandlers[key](this, message);
    });
    process.on('disconnect', () => this.to('disconnected', ['none', 'online', 'listening', 'ready', 'draining']));
    process.on('exit', (exit) => this.onExit(exit));
    process.on('stderr', (chunk) => this.tail.push(chunk));
    this.startTimer = options.clock.setTimeout(() => this.onStartTimeout(), options.startTimeoutMs);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  stderrTail(): string[] {
    return this.tail.read();
  }

  /** Ready and not on its way out: it serves traffic. */
  isServing(): boolean {
    return this.state === 'ready';
  }

  onReadyMessage(): void {
    this.readyMessage = true;
    this.checkReady();
  }

  /** True once it listens on app.port over TCP (any address family, any host). */
  listensOnAppPort(): boolean {
    return this.ports.includes(this.options.port);
  }

  /** Ready: it listens on app.port and, with readiness 'message', also said 'ready'. */
  private checkReady(): void {
    if (!this.listensOnAppPort()) return;
    if (this.options.readiness === 'message' && !this.readyMessage) return;
    if (this.state === 'online' || this.state === 'listening') this.to('ready', ['online', 'listening']);
    if (this.state === 'ready') this.settle();
  }

  markCrashed(error: string): void {
    this.crashError = error;
  }

  /** Tell it to shut down: the app gets 'shutdown', the cluster stops routing to it. */
  retire(): void {
    this.retired = true;
    if (isLeaving(this.state)) return;
    this.process.send(SHUTDOWN);
    this.process.disconnect();
    this.to('draining', ['none', 'online', 'listening', 'ready']);
  }

  /**
   * Let go of everything: WebSockets it still holds are closed over `windowMs`,
   * and it is killed if it has not exited `shutdownTimeoutMs` from now.
   */
  letGo(windowMs: number): void {
    this.retire();
    if (this.released || this.state === 'dead') return;
    this.released = true;
    this.process.control(closeWebSockets(windowMs));
    const { clock, shutdownTimeoutMs, killGraceMs } = this.options;
    this.killTimer = clock.setTimeout(() => {
      this.process.kill('SIGTERM');
      this.killTimer = clock.setTimeout(() => this.process.kill('SIGKILL'), killGraceMs);
    }, windowMs + shutdownTimeoutMs);
  }


  /** Service-out: the drain preload stops keeping connections alive and closes WebSockets, but keeps listening. */
  enterServiceDrain(windowMs: number): void {
    if (this.state !== 'dead') this.process.control(serviceDrain(windowMs));
  }

  /** Back in service: undoes enterServiceDrain. */
  leaveServiceDrain(): void {
    if (this.state !== 'dead') this.process.control(serviceResume());
  }

  /**
   * Sockets open on the app port, as the drain preload counts them; undefined
   * when it does not answer within `timeoutMs` (no preload, a busy event loop).
   */
  openConnections(timeoutMs: number): Promise<number | undefined> {
    if (this.state === 'dead') return Promise.resolve(0);
    const id = this.nextQuestion++;
    return new Promise<number | undefined>((resolve) => {
      const settle = (open: number | undefined): void => {
        timer.clear();
        this.questions.delete(id);
        resolve(open);
      };
      const timer = this.options.clock.setTimeout(() => settle(undefined), timeoutMs);
      this.questions.set(id, settle);
      if (!this.process.control(countConnections(id))) settle(undefined);
    });
  }

  onConnectionsAnswer(message: unknown): void {
    const answer = connectionsAnswer(message);
    if (answer) this.questions.get(answer.id)?.(answer.open);
  }

  /** "exited with code 1 <when> after an uncaught exception: …" */
  describeExit(exit: WorkerExit, when: string): string {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const why = this.crashError ? ` after an uncaught exception: ${this.crashError}` : '';
    return `${how} ${when}${why}`;
  }

  private onListening(address: ListenAddress): void {
    if (this.state === 'online') this.to('listening', ['online']);
    // A UDP bind (dgram in a worker) fires 'listening' too; only a TCP listen can serve the ALB.
    const tcp = address.addressType !== 'udp4' && address.addressType !== 'udp6';
    if (tcp && address.port !== undefined && !this.ports.includes(address.port)) this.ports.push(address.port);
    this.checkReady();
  }

  private onExit(exit: WorkerExit): void {
    this.exit = exit;
    this.to('dead', ['none', 'online', 'listening', 'ready', 'draining', 'disconnected']);
    this.startTimer?.clear();
    this.killTimer?.clear();
    this.fail('exit', exit, this.describeExit(exit, 'before it was ready'));
  }

  private onStartTimeout(): void {
    const { startTimeoutMs, readiness, port } = this.options;
    this.fail('timeout', undefined, `was not ready within ${startTimeoutMs} ms (${readiness}): ${this.whyNotReady(port)}`);
  }

  /** "it listened on port 9001 but never on app.port 3000", "it never called process.send('ready')", … */
  private whyNotReady(port: number): string {
    const heard = this.ports.length > 0 ? `it listened on port${this.ports.length > 1 ? 's' : ''} ${this.ports.join(', ')} but never on app.port ${port}` : `it never listened on app.port ${port} (nor on any other port)`;
    if (!this.listensOnAppPort()) return heard;
    return `it listens on app.port ${port} but never called process.send('ready')`;
  }

  private fail(reason: StartFailureReason, exit: WorkerExit | undefined, detail: string): void {
    if (this.settledReady) return;
    this.settledReady = true;
    this.startTimer?.clear();
    this.rejectReady(new WorkerStartError(reason, this.release.version, exit, this.tail.read(), detail));
  }

  private settle(): void {
    if (this.settledReady) return;
    this.settledReady = true;
    this.startTimer?.clear();
    this.resolveReady();
  }

  /** Moves to `next` when the current state is one of `from`; other events are stale and ignored. */
  private to(next: WorkerState, from: readonly WorkerState[]): void {
    if (from.includes(this.state)) this.state = transition(this.state, next);
  }
}
