import { EventEmitter } from 'node:events';
import { ManagedWorker, WorkerStartError, type ManagedWorkerOptions } from '../../../../agent/cluster/managed-worker';
import type { Readiness } from '../../../../agent/cluster/supervisor-options';
import type { WorkerEvents, WorkerExit, WorkerProcess } from '../../../../agent/cluster/worker-host';
import { ManualClock } from '../../../support/manual-clock';

type Call =
  | { readonly kind: 'send'; readonly message: unknown }
  | { readonly kind: 'control'; readonly message: unknown }
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'kill'; readonly signal: NodeJS.Signals | undefined };

/** A worker process that does nothing by itself: the test emits its events and reads what it was told. */
class FakeWorkerProcess implements WorkerProcess {
  readonly id = 1;
  readonly pid = 4242;
  readonly calls: Call[] = [];
  private readonly events = new EventEmitter();
  private connected = true;

  on<E extends keyof WorkerEvents>(event: E, listener: WorkerEvents[E]): void {
    this.events.on(event, listener);
  }

  emit<E extends keyof WorkerEvents>(event: E, ...args: Parameters<WorkerEvents[E]>): void {
    this.events.emit(event, ...args);
  }

  send(message: unknown): boolean {
    this.calls.push({ kind: 'send', message });
    return this.connected;
  }

  control(message: unknown): boolean {
    this.calls.push({ kind: 'control', message });
    return true;
  }

  isConnected(): boolean {
    return this.connected;
  }

  disconnect(): void {
    this.calls.push({ kind: 'disconnect' });
    this.connected = false;
  }

  kill(signal?: NodeJS.Signals): void {
    this.calls.push({ kind: 'kill', signal });
  }

  kills(): (NodeJS.Signals | undefined)[] {
    return this.calls.flatMap((c) => (c.kind === 'kill' ? [c.signal] : []));
  }
}

const startTimeoutMs = 30_000;
const shutdownTimeoutMs = 10_000;
const killGraceMs = 5_000;
const appPort = 3000;
/** The cluster's 'listening' event for app.port (the app listens on all addresses, IPv6 dual stack). */
const onAppPort = { address: '::', port: appPort, addressType: 6 };
const onAdminPort = { address: '0.0.0.0', port: 9001, addressType: 4 };

function setup(readiness: Readiness = 'listening', overrides: Partial<ManagedWorkerOptions> = {}) {
  const clock = new ManualClock(1_000);
  const proc = new FakeWorkerProcess();
  const worker = new ManagedWorker(proc, {
    slot: 2,
    release: { version: 'v7', dir: '/srv/releases/v7' },
    port: appPort,
    readiness,
    startTimeoutMs,
    shutdownTimeoutMs,
    killGraceMs,
    stderrTailLines: 3,
    clock,
    ...overrides,
  });
  return { clock, proc, worker };
}

/** Where a promise stands once pending callbacks have run. */
async function settledState(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  const pending = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
  return Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    pending,
  ]);
}

async function startError(worker: ManagedWorker): Promise<WorkerStartError> {
  const error = await worker.ready.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WorkerStartError)) throw new Error(`expected a WorkerStartError, got ${String(error)}`);
  return error;
}

function makeReady(proc: FakeWorkerProcess): void {
  proc.emit('online');
  proc.emit('listening', onAppPort);
}

describe('ManagedWorker basics', () => {
  test('starts in state none with its slot, release, pid and start time', () => {
    const { worker } = setup();
    expect(worker.state).toBe('none');
    expect(worker.slot).toBe(2);
    expect(worker.release).toEqual({ version: 'v7', dir: '/srv/releases/v7' });
    expect(worker.pid).toBe(4242);
    expect(worker.startedAt).toBe(1_000);
    expect(worker.retired).toBe(false);
    expect(worker.isServing()).toBe(false);
  });

  test("moves to online on the process's online event", () => {
    const { proc, worker } = setup();
    proc.emit('online');
    expect(worker.state).toBe('online');
  });

  test('arms the start timer at once', () => {
    const { clock } = setup();
    expect(clock.pending()).toBe(1);
  });
});

describe('ManagedWorker readiness', () => {
  test("in listening mode, ready resolves on 'listening'", async () => {
    const { proc, worker, clock } = setup('listening');
    proc.emit('online');
    expect(await settledState(worker.ready)).toBe('pending');
    proc.emit('listening', onAppPort);
    await expect(worker.ready).resolves.toBeUndefined();
    expect(worker.state).toBe('ready');
    expect(worker.isServing()).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  test("in message mode, 'listening' alone is not enough", async () => {
    const { proc, worker } = setup('message');
    makeReady(proc);
    expect(worker.state).toBe('listening');
    expect(await settledState(worker.ready)).toBe('pending');
    expect(worker.isServing()).toBe(false);
  });

  test("in message mode, a 'ready' message makes it ready", async () => {
    const { proc, worker, clock } = setup('message');
    makeReady(proc);
    proc.emit('message', 'ready');
    await expect(worker.ready).resolves.toBeUndefined();
    expect(worker.state).toBe('ready');
    expect(clock.pending()).toBe(0);
  });

  test("in message mode, a 'ready' message before any listen waits for the listen on app.port", async () => {
    const { proc, worker } = setup('message');
    proc.emit('online');
    proc.emit('message', 'ready');
    expect(await settledState(worker.ready)).toBe('pending');
    proc.emit('listening', onAdminPort);
    expect(await settledState(worker.ready)).toBe('pending');
    proc.emit('listening', onAppPort);
    await expect(worker.ready).resolves.toBeUndefined();
    expect(worker.state).toBe('ready');
  });

  test('in listening mode, a listen on another port is not ready; the listen on app.port is', async () => {
    const { proc, worker } = setup('listening');
    proc.emit('online');
    proc.emit('listening', onAdminPort);
    expect(worker.state).toBe('listening');
    expect(worker.isServing()).toBe(false);
    expect(await settledState(worker.ready)).toBe('pending');
    proc.emit('listening', { address: '127.0.0.1', port: appPort, addressType: 4 });
    await expect(worker.ready).resolves.toBeUndefined();
    expect(worker.isServing()).toBe(true);
  });

  test('a unix-socket listen (no port) is not ready', async () => {
    const { proc, worker } = setup('listening');
    proc.emit('online');
    proc.emit('listening', { address: '/tmp/app.sock', port: undefined, addressType: -1 });
    expect(await settledState(worker.ready)).toBe('pending');
  });

  test('a UDP socket bound to app.port is not ready (the ALB and the port probe speak TCP)', async () => {
    const { proc, worker } = setup('listening');
    proc.emit('online');
    proc.emit('listening', { address: '0.0.0.0', port: appPort, addressType: 'udp4' });
    expect(await settledState(worker.ready)).toBe('pending');
    expect(worker.listensOnAppPort()).toBe(false);
  });

  test('the timeout names the ports it did listen on', async () => {
    const { proc, worker, clock } = setup('listening');
    proc.emit('online');
    proc.emit('listening', onAdminPort);
    proc.emit('listening', { address: '0.0.0.0', port: 9002, addressType: 4 });
    clock.advance(startTimeoutMs);
    const error = await startError(worker);
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(`worker of v7 was not ready within ${startTimeoutMs} ms (listening): it listened on ports 9001, 9002 but never on app.port ${appPort}`);
  });

  test("in message mode, the timeout says when the app listens but never sent 'ready'", async () => {
    const { proc, worker, clock } = setup('message');
    makeReady(proc);
    clock.advance(startTimeoutMs);
    expect((await startError(worker)).message).toBe(
      `worker of v7 was not ready within ${startTimeoutMs} ms (message): it listens on app.port ${appPort} but never called process.send('ready')`,
    );
  });

  test("in listening mode, a 'ready' message before listening is ignored", async () => {
    const { proc, worker } = setup('listening');
    proc.emit('online');
    proc.emit('message', 'ready');
    expect(worker.state).toBe('online');
    expect(await settledState(worker.ready)).toBe('pending');
    proc.emit('listening', onAppPort);
    await expect(worker.ready).resolves.toBeUndefined();
  });

  test("the app's own messages change nothing", async () => {
    const { proc, worker } = setup('message');
    makeReady(proc);
    proc.emit('message', { cmd: 'ready' });
    proc.emit('message', 'hello');
    expect(worker.state).toBe('listening');
    expect(worker.crashError).toBeUndefined();
    expect(await settledState(worker.ready)).toBe('pending');
  });
});

describe('ManagedWorker start failures', () => {
  test.each([['listening'], ['message']] as const)(
    "ready rejects with reason 'timeout' after startTimeoutMs (%s readiness)",
    async (readiness) => {
      const { proc, worker, clock } = setup(readiness);
      proc.emit('online');
      clock.advance(startTimeoutMs - 1);
      expect(await settledState(worker.ready)).toBe('pending');
      clock.advance(1);
      const error = await startError(worker);
      expect(error.reason).toBe('timeout');
      expect(error.code).toBe('WORKER_START_FAILED');
      expect(error.name).toBe('WorkerStartError');
      expect(error.version).toBe('v7');
      expect(error.exit).toBeUndefined();
      expect(error.message).toBe(`worker of v7 was not ready within ${startTimeoutMs} ms (${readiness}): it never listened on app.port ${appPort} (nor on any other port)`);
    },
  );

  test('becoming ready in time disarms the timeout', async () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    clock.advance(startTimeoutMs * 2);
    await expect(worker.ready).resolves.toBeUndefined();
  });

  test("ready rejects with reason 'exit' when the process exits first, with the exit code, the uncaught exception and the stderr tail", async () => {
    const { proc, worker, clock } = setup();
    proc.emit('online');
    proc.emit('stderr', Buffer.from('line 1\nline 2\n'));
    proc.emit('stderr', Buffer.from('line 3\nTypeError: boom\n    at start (server.js:3:9)\n'));
    proc.emit('message', { deployctl: 'crashed', error: 'TypeError: boom' });
    expect(worker.crashError).toBe('TypeError: boom');
    const exit: WorkerExit = { code: 1, signal: null };
    proc.emit('exit', exit);

    const error = await startError(worker);
    expect(error.reason).toBe('exit');
    expect(error.exit).toEqual(exit);
    expect(error.message).toBe(
      'worker of v7 exited with code 1 before it was ready after an uncaught exception: TypeError: boom',
    );
    expect(error.stderr).toEqual(['line 3', 'TypeError: boom', '    at start (server.js:3:9)']);
    expect(worker.stderrTail()).toEqual(error.stderr);
    expect(worker.state).toBe('dead');
    await expect(worker.exited).resolves.toEqual(exit);
    expect(clock.pending()).toBe(0);
  });

  test('an exit by signal says which signal, and no exception when none was reported', async () => {
    const { proc, worker } = setup();
    proc.emit('online');
    proc.emit('exit', { code: null, signal: 'SIGKILL' });
    const error = await startError(worker);
    expect(error.reason).toBe('exit');
    expect(error.message).toBe('worker of v7 was killed by SIGKILL before it was ready');
    expect(error.stderr).toEqual([]);
  });

  test('the start timer is cleared when the worker exits: the failure stays an exit', async () => {
    const { proc, worker, clock } = setup();
    proc.emit('exit', { code: 2, signal: null });
    expect(clock.pending()).toBe(0);
    clock.advance(startTimeoutMs * 2);
    expect((await startError(worker)).reason).toBe('exit');
  });

  test('an exit after it was ready leaves ready resolved', async () => {
    const { proc, worker } = setup();
    makeReady(proc);
    proc.emit('exit', { code: 0, signal: null });
    await expect(worker.ready).resolves.toBeUndefined();
    await expect(worker.exited).resolves.toEqual({ code: 0, signal: null });
    expect(worker.state).toBe('dead');
  });

  test('a timeout followed by an exit keeps the timeout as the reason', async () => {
    const { proc, worker, clock } = setup();
    proc.emit('online');
    clock.advance(startTimeoutMs);
    proc.emit('exit', { code: null, signal: 'SIGTERM' });
    expect((await startError(worker)).reason).toBe('timeout');
    expect(worker.state).toBe('dead');
  });
});

describe('ManagedWorker.retire', () => {
  test("sends 'shutdown', then disconnects, and moves to draining", () => {
    const { proc, worker } = setup();
    makeReady(proc);
    worker.retire();
    expect(proc.calls).toEqual([{ kind: 'send', message: 'shutdown' }, { kind: 'disconnect' }]);
    expect(worker.state).toBe('draining');
    expect(worker.retired).toBe(true);
    expect(worker.isServing()).toBe(false);
  });

  test('a second retire sends nothing more', () => {
    const { proc, worker } = setup();
    makeReady(proc);
    worker.retire();
    worker.retire();
    expect(proc.calls).toHaveLength(2);
  });

  test('retiring a worker that already disconnected itself only marks it retired', () => {
    const { proc, worker } = setup();
    makeReady(proc);
    proc.emit('disconnect');
    expect(worker.state).toBe('disconnected');
    worker.retire();
    expect(worker.retired).toBe(true);
    expect(proc.calls).toEqual([]);
    expect(worker.state).toBe('disconnected');
  });

  test("the process's disconnect event moves a draining worker to disconnected, and exit to dead", () => {
    const { proc, worker } = setup();
    makeReady(proc);
    worker.retire();
    proc.emit('disconnect');
    expect(worker.state).toBe('disconnected');
    proc.emit('exit', { code: 0, signal: null });
    expect(worker.state).toBe('dead');
  });
});

describe('ManagedWorker.letGo', () => {
  test("sends {deployctl:'close-websockets', windowMs} over the control pipe after retiring", () => {
    const { proc, worker } = setup();
    makeReady(proc);
    worker.letGo(2_000);
    expect(proc.calls).toEqual([
      { kind: 'send', message: 'shutdown' },
      { kind: 'disconnect' },
      { kind: 'control', message: { deployctl: 'close-websockets', windowMs: 2_000 } },
    ]);
    expect(worker.state).toBe('draining');
  });

  test('kills with SIGTERM after windowMs + shutdownTimeoutMs and SIGKILL killGraceMs later', () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    worker.letGo(2_000);
    clock.advance(2_000 + shutdownTimeoutMs - 1);
    expect(proc.kills()).toEqual([]);
    clock.advance(1);
    expect(proc.kills()).toEqual(['SIGTERM']);
    clock.advance(killGraceMs - 1);
    expect(proc.kills()).toEqual(['SIGTERM']);
    clock.advance(1);
    expect(proc.kills()).toEqual(['SIGTERM', 'SIGKILL']);
    expect(clock.pending()).toBe(0);
  });

  test('letting go twice sends one control message and schedules one kill', () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    worker.letGo(1_000);
    worker.letGo(1_000);
    expect(proc.calls.filter((c) => c.kind === 'control')).toHaveLength(1);
    clock.advance(1_000 + shutdownTimeoutMs + killGraceMs);
    expect(proc.kills()).toEqual(['SIGTERM', 'SIGKILL']);
  });

  test('letting go of a retired worker still closes its WebSockets and arms the kill', () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    worker.retire();
    worker.letGo(0);
    expect(proc.calls.filter((c) => c.kind === 'control')).toEqual([
      { kind: 'control', message: { deployctl: 'close-websockets', windowMs: 0 } },
    ]);
    clock.advance(shutdownTimeoutMs);
    expect(proc.kills()).toEqual(['SIGTERM']);
  });

  test('letting go of a dead worker does nothing', () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    proc.emit('exit', { code: 0, signal: null });
    worker.letGo(1_000);
    expect(proc.calls).toEqual([]);
    expect(worker.retired).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  test('the kill timer is cleared when the worker exits in time', () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    worker.letGo(2_000);
    expect(clock.pending()).toBe(1);
    clock.advance(1_000);
    proc.emit('exit', { code: 0, signal: null });
    expect(clock.pending()).toBe(0);
    clock.advance(2_000 + shutdownTimeoutMs + killGraceMs);
    expect(proc.kills()).toEqual([]);
  });

  test('the SIGKILL timer is cleared when the worker exits after SIGTERM', () => {
    const { proc, worker, clock } = setup();
    makeReady(proc);
    worker.letGo(0);
    clock.advance(shutdownTimeoutMs);
    expect(proc.kills()).toEqual(['SIGTERM']);
    proc.emit('exit', { code: null, signal: 'SIGTERM' });
    expect(clock.pending()).toBe(0);
    clock.advance(killGraceMs * 2);
    expect(proc.kills()).toEqual(['SIGTERM']);
  });
});
